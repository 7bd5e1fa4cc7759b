// Photos shrunk in the browser before they are sent (a phone's 7 MB photo over 4G), for every
// <input type=file data-photos> (core.formfields.PhotosInput renders the mark and the server's long
// side as data-max-side). When photos are chosen, each image is drawn on a canvas at most that many
// pixels on its long side, re-encoded as JPEG and, when that is smaller, put back into the input, so
// whatever sends the form (a plain submit, or the offline queue) sends the small files. A preview
// shows each file with its size before → after. A file that is no image or that this browser cannot
// decode is left as chosen: the server refuses it with its own message.
// While it works the input carries data-photos-busy; when done, data-photos-ready="1" and a
// "photos:ready" event bubble from it.
(function () {
  "use strict";

  const QUALITY = 0.85;

  function sizeText(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function decode(file) {
    // createImageBitmap applies the EXIF orientation ("from-image"), so the pixels stand upright.
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return decodeWithImage(file); });
    }
    return decodeWithImage(file);
  }

  function decodeWithImage(file) {
    return new Promise(function (resolve, reject) {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("undecodable")); };
      image.src = url;
    });
  }

  function jpegName(name) {
    const dot = name.lastIndexOf(".");
    return (dot > 0 ? name.slice(0, dot) : name || "photo") + ".jpg";
  }

  // Resolves to {file, original, shrunk, decoded}: the file to send and what became of it.
  function shrink(file, maxSide) {
    if (!/^image\//.test(file.type)) return Promise.resolve({ file: file, original: file, shrunk: false, decoded: false });
    return decode(file).then(function (image) {
      const width = image.width, height = image.height;
      if (!width || !height) throw new Error("undecodable");
      const scale = Math.min(1, maxSide / Math.max(width, height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      const context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // JPEG has no transparency: a PNG's clear parts become white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
    }).then(function (blob) {
      if (!blob || blob.size >= file.size) return { file: file, original: file, shrunk: false, decoded: true };
      const small = new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified || Date.now() });
      return { file: small, original: file, shrunk: true, decoded: true };
    }).catch(function () {
      return { file: file, original: file, shrunk: false, decoded: false };
    });
  }

  function previewOf(input) {
    let preview = input.parentNode.querySelector("[data-photo-preview-for='" + CSS.escape(input.name) + "']");
    if (!preview) {
      preview = document.createElement("span");
      preview.className = "photos photo-preview";
      preview.setAttribute("data-testid", "photo-preview");
      preview.setAttribute("data-photo-preview-for", input.name);
      input.insertAdjacentElement("afterend", preview);
    }
    preview.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    preview.replaceChildren();
    return preview;
  }

  function showPreview(input, results) {
    const preview = previewOf(input);
    results.forEach(function (result) {
      const item = document.createElement("span");
      item.className = "photo-preview-item";
      item.setAttribute("data-testid", "photo-preview-item");
      if (result.decoded) {
        const img = document.createElement("img");
        img.src = URL.createObjectURL(result.file);
        img.alt = result.original.name;
        item.appendChild(img);
      }
      const caption = document.createElement("span");
      caption.className = "photo-preview-size";
      caption.setAttribute("data-testid", "photo-preview-size");
      caption.textContent = result.shrunk
        ? sizeText(result.original.size) + " → " + sizeText(result.file.size)
        : result.original.name + " · " + sizeText(result.original.size)
          + (result.decoded ? "" : " · " + (input.dataset.undecodable || ""));
      item.appendChild(caption);
      preview.appendChild(item);
    });
    preview.hidden = results.length === 0;
  }

  function hideKept(input, hidden) {
    // Newly chosen photos replace those kept from the last failed submission (the server prefers them too).
    const kept = input.parentNode.querySelector("[data-kept-for='" + CSS.escape(input.name) + "']");
    if (kept) kept.hidden = hidden;
  }

  let generation = 0;
  document.addEventListener("change", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.hasAttribute("data-photos")) return;
    const files = Array.from(input.files || []);
    const maxSide = parseInt(input.dataset.maxSide, 10) || 2048;
    const mine = ++generation;
    input.dataset.photosRun = String(mine);
    input.setAttribute("data-photos-busy", "");
    input.removeAttribute("data-photos-ready");
    hideKept(input, files.length > 0);
    Promise.all(files.map(function (file) { return shrink(file, maxSide); })).then(function (results) {
      if (input.dataset.photosRun !== String(mine)) return;  // chosen again meanwhile: that run decides
      if (results.some(function (r) { return r.shrunk; }) && window.DataTransfer) {
        const transfer = new DataTransfer();
        results.forEach(function (r) { transfer.items.add(r.file); });
        input.files = transfer.files;  // setting files fires no change event: no loop
      }
      showPreview(input, results);
      input.removeAttribute("data-photos-busy");
      input.setAttribute("data-photos-ready", "1");
      input.dispatchEvent(new CustomEvent("photos:ready", { bubbles: true }));
    });
  });
})();
