// The service worker (served at /sw.js by web/views.py so that its scope is the whole site).
// It keeps only what a page asks it to keep (web/static/web/offline.js sends the URLs of a form
// page that works offline, with its scripts and styles): those are answered from the network when
// it answers, else from the copy kept; every other request passes by untouched. Sending forms while
// offline is the page's work (its queue in IndexedDB), not this worker's.
"use strict";

const CACHE = "yiwang-offline-v1";
// A kept page on a network that hangs (a stairwell's last bar) opens from its copy after this long.
const NETWORK_WAIT_MS = 5000;

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name.startsWith("yiwang-offline-") && name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function keep(urls) {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      if (new URL(url).origin !== self.location.origin) return null;
      return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        return keepable(response) ? cache.put(url, response) : null;
      }).catch(function () { return null; });
    }));
  });
}

self.addEventListener("message", function (event) {
  const data = event.data || {};
  if (data.type === "keep" && Array.isArray(data.urls)) {
    event.waitUntil(keep(data.urls).then(function () {
      if (event.ports[0]) event.ports[0].postMessage("kept");
    }));
  } else if (data.type === "forget") {
    event.waitUntil(caches.delete(CACHE));
  }
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    const timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); }, function (error) { clearTimeout(timer); reject(error); });
  });
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true, ignoreSearch: false }).then(function (kept) {
      const fresh = fetch(request);
      if (!kept) return fresh;
      // Kept: the network's answer refreshes the copy; no answer (or too slow an answer) gives the copy.
      const refreshed = fresh.then(function (response) {
        if (keepable(response)) cache.put(request, response.clone());
        return response;
      });
      return withTimeout(refreshed, NETWORK_WAIT_MS).catch(function () { return kept; });
    });
  }));
});
