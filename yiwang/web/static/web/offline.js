// The submit pipeline of forms that must work without a network (the grid worker's report, patrol
// and home visit), and the queue of what waits to be sent. A form opts in with
//   <form data-offline-queue="what it records" [data-offline-urls="other GET URLs it needs offline"]>
//     <input type="hidden" name="idempotency_key" data-idempotency-key>
// and this script then
//   - keeps the page, its scripts and styles in the service worker (/sw.js) so it opens offline;
//   - makes the submission key once per fill (the server creates nothing twice for one key:
//     yiwang/core/idempotency.py), disables the submit button while sending, shows upload progress;
//   - when the network is down (or the request fails on the way) stores the whole form, files as
//     Blobs, in IndexedDB and says so; the queue (the panel #offline-queue, on every staff page) sends
//     each item with its own key when the browser is online again (the `online` event, each page
//     load, and every minute); what the server refuses stays, marked with its words, to be opened
//     and corrected or discarded; what it accepted is removed.
// The server tells this script where a redirect goes (X-Yiwang-Location, web/middleware.py) instead
// of redirecting, so the result page is opened once, by the browser.
(function () {
  "use strict";

  const panel = document.getElementById("offline-queue");
  if (!panel || !window.indexedDB) return;

  const t = window.gettext || function (text) { return text; };
  function say(format, values) {
    return window.interpolate ? window.interpolate(format, values, true) : format;
  }

  const user = panel.dataset.user;
  const notDone = (panel.dataset.notDone || "").split(" ").filter(Boolean);
  const RETRY_MS = 60 * 1000;
  const DB_NAME = "yiwang-offline";
  const STORE = "queue";

  // --- IndexedDB ----------------------------------------------------------------------------------

  let opened = null;
  function database() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }).createIndex("user", "user");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }

  function run(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        const transaction = db.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(request.result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  // Only this account's items: another account signed in on the same phone neither sees nor sends them.
  function allItems() {
    return run("readonly", function (store) { return store.index("user").getAll(user); }).then(function (items) {
      return items.sort(function (a, b) { return a.created - b.created; });
    });
  }
  function getItem(id) {
    return run("readonly", function (store) { return store.get(id); }).then(function (item) {
      return item && item.user === user ? item : null;
    });
  }
  function putItem(item) { return run("readwrite", function (store) { return store.put(item); }); }
  function deleteItem(id) { return run("readwrite", function (store) { return store.delete(id); }); }

  // --- Sending --------------------------------------------------------------------------------------

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Pages served over plain http on an intranet have no randomUUID; getRandomValues works there too.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // The token of this page's session (an item filled before a new login carries an old one).
  function currentToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : null;
  }

  function fieldLabel(doc, name) {
    const input = doc.querySelector("[name=\"" + CSS.escape(name) + "\"]");
    const label = input && (input.closest("label") || (input.id && doc.querySelector("label[for=\"" + CSS.escape(input.id) + "\"]")));
    const legend = input && !label && input.closest("fieldset") && input.closest("fieldset").querySelector("legend");
    const text = label ? label.firstChild && label.firstChild.textContent : legend ? legend.textContent : "";
    return (text || "").replace(/\*/g, "").trim();
  }

  // The server's own words about what it refused: the form's errors, each after its field's label.
  function refusals(doc) {
    const said = [];
    doc.querySelectorAll("main form [data-testid=form-errors] p, main form .error p, main [data-testid=form-errors] p").forEach(function (node) {
      if (node.textContent.trim() && !said.includes(node.textContent.trim())) said.push(node.textContent.trim());
    });
    doc.querySelectorAll("main .field-error").forEach(function (node) {
      const label = node.dataset.field ? fieldLabel(doc, node.dataset.field) : "";
      const text = label ? say(t("%(field)s：%(problem)s"), { field: label, problem: node.textContent.trim() }) : node.textContent.trim();
      if (text && !said.includes(text)) said.push(text);
    });
    if (!said.length) {
      const heading = doc.querySelector("main h1, main p, h1");
      said.push(heading && heading.textContent.trim() ? heading.textContent.trim() : t("服务器没有接受这条记录"));
    }
    return said;
  }

  function isNotDone(location) {
    const path = new URL(location, window.location.href).pathname;
    return notDone.some(function (prefix) { return path.startsWith(prefix); });
  }

  // One POST: resolves to {outcome: "done", location} | {outcome: "refused", doc, messages} |
  // {outcome: "later", message} (kept: the server could not take it now) | {outcome: "offline"}.
  function send(action, fields, onProgress) {
    return new Promise(function (resolve) {
      const data = new FormData();
      const token = currentToken();
      fields.forEach(function (pair) {
        data.append(pair[0], pair[0] === "csrfmiddlewaretoken" && token ? token : pair[1]);
      });
      const xhr = new XMLHttpRequest();
      xhr.open("POST", action);
      xhr.setRequestHeader("X-Yiwang-Submit", "1");
      xhr.timeout = 5 * 60 * 1000;
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
      };
      xhr.onload = function () {
        const location = xhr.getResponseHeader("X-Yiwang-Location");
        if (location && isNotDone(location)) {
          resolve({ outcome: "later", message: t("登录已失效，请重新登录；这条记录会在登录后发送。") });
        } else if (location) {
          resolve({ outcome: "done", location: location });
        } else if (xhr.status >= 500 || xhr.status === 0) {
          resolve({ outcome: "later", message: say(t("服务器暂时不能处理（%(status)s），稍后会再试。"), { status: xhr.status }) });
        } else {
          const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
          resolve({ outcome: "refused", doc: doc, messages: refusals(doc) });
        }
      };
      // No answer at all: nothing is known to have been created, and the key makes a retry safe.
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve({ outcome: "offline" }); };
      xhr.send(data);
    });
  }

  // --- The form on this page ------------------------------------------------------------------------

  function keyInput(form) {
    let input = form.querySelector("[data-idempotency-key]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "idempotency_key";
      input.setAttribute("data-idempotency-key", "");
      form.prepend(input);
    }
    return input;
  }

  function submitButtons(form) {
    return Array.from(form.querySelectorAll("button:not([type=button]):not([type=reset]), input[type=submit]"));
  }

  function statusLine(form) {
    let line = form.querySelector("[data-offline-status]");
    if (!line) {
      line = document.createElement("p");
      line.className = "offline-status";
      line.setAttribute("data-offline-status", "");
      line.setAttribute("data-testid", "offline-status");
      line.setAttribute("role", "status");
      const buttons = submitButtons(form);
      const after = buttons.length ? buttons[buttons.length - 1].closest("p") || buttons[buttons.length - 1] : null;
      if (after && after.parentNode) after.after(line); else form.append(line);
    }
    return line;
  }

  function showStatus(form, text, progress) {
    const line = statusLine(form);
    line.textContent = text;
    if (progress !== undefined) {
      const bar = document.createElement("progress");
      bar.max = 100;
      bar.value = Math.round(progress * 100);
      line.append(" ", bar);
    }
  }

  // The field an error without data-field is about: the last named control just before it.
  function nameBefore(node) {
    for (let sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
      const named = sibling.matches("[name]") ? [sibling] : Array.from(sibling.querySelectorAll("[name]"));
      if (named.length) return named[named.length - 1].getAttribute("name");
    }
    return null;
  }

  // The server's errors put beside the fields of the form still on the page (its chosen files and
  // map stay as they are).
  function showErrors(form, doc, messages) {
    form.querySelectorAll(".field-error, [data-testid=form-errors]").forEach(function (node) { node.remove(); });
    const box = form.closest("section") ? form.closest("section").querySelector("[data-testid=form-errors]") : null;
    if (box) box.remove();
    const general = [];
    doc.querySelectorAll("main [data-testid=form-errors] p").forEach(function (node) { general.push(node.textContent.trim()); });
    doc.querySelectorAll("main .field-error").forEach(function (node) {
      const name = node.dataset.field || nameBefore(node);
      const row = node.closest("[data-testid=finding-row]");
      let target = null;
      if (name) {
        // A field of a repeated row (findings-0-description) is found in the row at the same position.
        const rows = row ? Array.from(doc.querySelectorAll("main [data-testid=finding-row]")) : [];
        const mine = row ? form.querySelectorAll("[data-testid=finding-row]")[rows.indexOf(row)] : form;
        const input = mine && mine.querySelector("[name=\"" + CSS.escape(name) + "\"], [name$=\"-" + CSS.escape(name) + "\"]");
        target = input ? input.closest("details, label, fieldset") || input : null;
      }
      if (target) {
        target.after(document.importNode(node, true));
      } else {
        general.push(node.textContent.trim());
      }
    });
    if (!general.length && !doc.querySelector("main .field-error")) general.push.apply(general, messages);
    if (general.length) {
      const errors = document.createElement("div");
      errors.className = "error";
      errors.setAttribute("data-testid", "form-errors");
      general.forEach(function (text) {
        const p = document.createElement("p");
        p.textContent = text;
        errors.append(p);
      });
      form.before(errors);
    }
    const first = document.querySelector("main .field-error, main [data-testid=form-errors]");
    if (first) first.scrollIntoView({ block: "center" });
  }

  function enable(form, on) {
    submitButtons(form).forEach(function (button) { button.disabled = !on; });
    if (on) delete form.dataset.sending; else form.dataset.sending = "1";
  }

  function startNewFill(form) {
    form.reset();
    keyInput(form).value = newKey();
    delete form.dataset.offlineItem;
  }

  function queue(form, fields, note) {
    const item = {
      user: user, kind: form.dataset.offlineQueue || document.title, action: form.action,
      page: window.location.pathname + window.location.search, created: Date.now(), key: keyInput(form).value,
      fields: fields, status: "waiting", message: note || "",
    };
    if (form.dataset.offlineItem) item.id = Number(form.dataset.offlineItem);
    return putItem(item).then(function () {
      startNewFill(form);
      enable(form, true);
      return render();
    }).then(function (count) {
      showStatus(form, (note ? note + " " : "") + say(t("已存入待发送队列（共 %(count)s 条），联网后会自动发送。"), { count: count }));
    }, function () {
      enable(form, true);
      showStatus(form, t("未能保存到本机，请稍后重试。"));
    });
  }

  // Photos still being shrunk (photos.js marks them data-photos-busy) are waited for, so the small files are sent.
  function photosSettled(form) {
    return Promise.all(Array.from(form.querySelectorAll("[data-photos-busy]")).map(function (input) {
      return new Promise(function (resolve) {
        input.addEventListener("photos:ready", resolve, { once: true });
        window.setTimeout(resolve, 30 * 1000);
      });
    }));
  }

  function submitForm(form, submitter) {
    const key = keyInput(form);
    if (!key.value) key.value = newKey();
    // The button pressed counts as a field (name=value) even though it is disabled while sending.
    const pressed = submitter && submitter.name ? [submitter.name, submitter.value] : null;
    enable(form, false);
    return photosSettled(form).then(function () { return sendOrQueue(form, pressed); });
  }

  function sendOrQueue(form, pressed) {
    const fields = Array.from(new FormData(form).entries());
    if (pressed) fields.push(pressed);
    if (!navigator.onLine) return queue(form, fields, t("网络不可用。"));
    showStatus(form, t("正在发送…"), 0);
    return send(form.action, fields, function (fraction) {
      showStatus(form, say(t("正在上传 %(percent)s%"), { percent: Math.round(fraction * 100) }), fraction);
    }).then(function (result) {
      if (result.outcome === "done") {
        showStatus(form, t("已提交，正在打开结果…"));
        const done = form.dataset.offlineItem ? deleteItem(Number(form.dataset.offlineItem)) : Promise.resolve();
        return done.then(function () { window.location.assign(result.location); });
      }
      if (result.outcome === "refused") {
        enable(form, true);
        showErrors(form, result.doc, result.messages);
        showStatus(form, t("未提交：请按提示修改后重新提交。"));
        return null;
      }
      return queue(form, fields, result.outcome === "offline" ? t("网络中断，未能发送。") : result.message);
    });
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    // A refused confirmation (site.js) has already stopped the submission.
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-offline-queue") || event.defaultPrevented) return;
    event.preventDefault();
    if (form.dataset.sending) return;
    submitForm(form, event.submitter || null);
  });

  // An item opened from the queue (…#offline-item=12): its fields and files back in the form.
  function refill(form, item) {
    const values = {};
    item.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
    const adder = form.querySelector("[data-add-row]");
    for (let tries = 0; adder && tries < 20; tries += 1) {
      // Rows added on the page (findings-1-description …) are added again until each has its place.
      const missing = Object.keys(values).some(function (name) { return /-\d+-/.test(name) && !form.elements.namedItem(name); });
      if (!missing) break;
      adder.click();
    }
    function fill() {
      const filled = [];
      Object.keys(values).forEach(function (name) {
        if (name === "csrfmiddlewaretoken" || name === "idempotency_key") return;
        const wanted = values[name];
        Array.from(form.querySelectorAll("[name=\"" + CSS.escape(name) + "\"]")).forEach(function (control, index) {
          if (control.type === "file") {
            const transfer = new DataTransfer();
            wanted.forEach(function (file) { if (file instanceof Blob && file.name) transfer.items.add(file); });
            control.files = transfer.files;
            return;
          }
          if (control.type === "checkbox" || control.type === "radio") {
            control.checked = wanted.includes(control.value);
          } else if (control instanceof HTMLSelectElement && control.multiple) {
            Array.from(control.options).forEach(function (option) { option.selected = wanted.includes(option.value); });
          } else if (typeof wanted[index] === "string") {
            control.value = wanted[index];
          }
          filled.push(control);
        });
      });
      return filled;
    }
    // Let the page's scripts see the values (the map's point, a finding's case fields, the matter's questions)…
    fill().forEach(function (control) { control.dispatchEvent(new Event("change", { bubbles: true })); });
    // …and fill again what arrives with them (the matter's questions come as an htmx fragment).
    form.addEventListener("htmx:afterSettle", fill);
    window.setTimeout(function () { form.removeEventListener("htmx:afterSettle", fill); }, 5000);
    keyInput(form).value = item.key;
    form.dataset.offlineItem = String(item.id);
    if (item.message) showStatus(form, say(t("正在修改待发送的记录：%(message)s"), { message: item.message }));
  }

  const forms = Array.from(document.querySelectorAll("form[data-offline-queue]"));
  forms.forEach(function (form) {
    const key = keyInput(form);
    if (!key.value) key.value = newKey();
  });
  function openFromHash() {
    const opening = /^#offline-item=(\d+)$/.exec(window.location.hash);
    if (opening && forms.length) {
      getItem(Number(opening[1])).then(function (item) { if (item) refill(forms[0], item); });
    }
  }
  openFromHash();
  // Opened from the queue while on the form's own page: only the fragment changes.
  window.addEventListener("hashchange", openFromHash);

  // --- The queue ------------------------------------------------------------------------------------

  const sendingNow = new Map(); // id -> text while it is being sent
  const sent = []; // what this page sent, with where its result is

  function timeText(ms) {
    try {
      return new Intl.DateTimeFormat("zh-CN", {
        timeZone: panel.dataset.timeZone || undefined, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
      }).format(new Date(ms));
    } catch (error) {
      return new Date(ms).toLocaleString();
    }
  }

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) { if (child !== null) node.append(child); });
    return node;
  }

  function itemRow(item) {
    const state = sendingNow.has(item.id) ? sendingNow.get(item.id)
      : item.status === "refused" ? t("未被接受") : navigator.onLine ? t("等待发送") : t("等待网络");
    const row = element("li", { "data-testid": "offline-item", "data-status": item.status }, [
      element("strong", {}, [item.kind]), " · ", timeText(item.created), " · ", element("span", {}, [state]),
    ]);
    if (item.message) row.append(element("p", { class: item.status === "refused" ? "field-error" : "muted", "data-testid": "offline-item-message" }, [item.message]));
    const actions = element("p", { class: "offline-actions" });
    if (item.status === "refused") {
      actions.append(element("a", { href: item.page.split("#")[0] + "#offline-item=" + item.id, "data-testid": "offline-item-open" }, [t("打开修改")]), " ");
    }
    const discard = element("button", { type: "button", "data-discard": String(item.id), "data-testid": "offline-item-discard" }, [t("放弃")]);
    actions.append(discard);
    row.append(actions);
    return row;
  }

  // Draws the panel; resolves to the number of items waiting.
  function render() {
    return allItems().then(function (items) {
      const shown = panel.querySelector("details");
      const wasOpen = shown ? shown.open : false;
      panel.replaceChildren();
      if (!items.length && !sent.length) {
        panel.hidden = true;
        return 0;
      }
      panel.hidden = false;
      const details = element("details", { class: "offline-queue-box" });
      details.open = wasOpen || items.some(function (item) { return item.status === "refused"; });
      const summary = element("summary", { "data-testid": "offline-queue-count" }, [
        items.length ? say(t("待发送 %(count)s 条"), { count: items.length }) : t("待发送队列已清空"),
      ]);
      details.append(summary);
      if (items.length) {
        details.append(element("ol", {}, items.map(itemRow)));
        details.append(element("p", {}, [element("button", { type: "button", class: "primary", "data-send-now": "", "data-testid": "offline-send-now" }, [t("立即发送")])]));
      }
      if (sent.length) {
        const done = element("ul", { "data-testid": "offline-sent" });
        sent.forEach(function (entry) {
          done.append(element("li", {}, [say(t("已发送：%(kind)s"), { kind: entry.kind }), " ", element("a", { href: entry.location }, [t("查看")])]));
        });
        details.append(done);
      }
      panel.append(details);
      return items.length;
    });
  }

  // Only one tab sends at a time (another tab's lock means it is sending already).
  function exclusively(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("yiwang-offline-queue", { ifAvailable: true }, function (lock) { return lock ? work() : null; });
    }
    return work();
  }

  let flushing = false;
  function flush(manual) {
    if (flushing || (!navigator.onLine && !manual)) return Promise.resolve();
    flushing = true;
    return exclusively(function () {
      return allItems().then(function (items) {
        const due = items.filter(function (item) { return item.status === "waiting" || manual; });
        let chain = Promise.resolve(true);
        due.forEach(function (listed) {
          chain = chain.then(function (goOn) {
            if (!goOn) return false;
            return getItem(listed.id).then(function (item) {
              if (!item) return true; // discarded meanwhile
              sendingNow.set(item.id, t("发送中…"));
              render();
              return send(item.action, item.fields, function (fraction) {
                sendingNow.set(item.id, say(t("发送中 %(percent)s%"), { percent: Math.round(fraction * 100) }));
                render();
              }).then(function (result) {
                sendingNow.delete(item.id);
                if (result.outcome === "done") {
                  sent.push({ kind: item.kind, location: result.location });
                  return deleteItem(item.id).then(function () { return true; });
                }
                if (result.outcome === "refused") {
                  item.status = "refused";
                  item.message = result.messages.join(t("；"));
                  return putItem(item).then(function () { return true; });
                }
                if (result.outcome === "later") {
                  item.message = result.message;
                  return putItem(item).then(function () { return false; });
                }
                return false; // offline again: the rest waits too
              });
            });
          });
        });
        return chain;
      });
    }).catch(function () { return null; }).then(function () {
      flushing = false;
      sendingNow.clear();
      return render();
    });
  }

  panel.addEventListener("click", function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-send-now]")) {
      flush(true);
    } else if (target.closest("[data-discard]")) {
      if (window.confirm(t("放弃这条待发送的记录？放弃后无法恢复。"))) {
        deleteItem(Number(target.closest("[data-discard]").dataset.discard)).then(render);
      }
    }
  });

  window.addEventListener("online", function () { flush(false); });
  window.addEventListener("offline", render);
  window.setInterval(function () { flush(false); }, RETRY_MS);
  render().then(function () { return flush(false); });

  // --- The service worker ---------------------------------------------------------------------------

  if ("serviceWorker" in navigator && panel.dataset.serviceWorker) {
    navigator.serviceWorker.register(panel.dataset.serviceWorker, { scope: "/" }).catch(function () { return null; });
    if (forms.length) {
      const here = new URL(window.location.href);
      here.hash = "";
      const urls = [here.href, here.origin + here.pathname];
      document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=manifest][href]").forEach(function (node) {
        urls.push(node.src || node.href);
      });
      forms.forEach(function (form) {
        (form.dataset.offlineUrls || "").split(" ").filter(Boolean).forEach(function (url) { urls.push(new URL(url, here).href); });
      });
      navigator.serviceWorker.ready.then(function (registration) {
        const channel = new MessageChannel();
        channel.port1.onmessage = function () {
          forms.forEach(function (form) { form.dataset.offlineReady = "1"; });
        };
        registration.active.postMessage({ type: "keep", urls: urls }, [channel.port2]);
      });
    }
    // Signing out forgets the kept pages (the queue stays: it is sent after the same account signs in).
    document.addEventListener("submit", function (event) {
      const form = event.target;
      if (form instanceof HTMLFormElement && form.action && new URL(form.action).pathname === panel.dataset.logoutUrl && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "forget" });
      }
    });
  }
})();
