// Each page is drawn on a canvas by pdf.js; its text content is listed under it so it can be read,
// searched and copied (and checked by tests), line by line as pdf.js reports the text items.
// The page names pdf.js's module and worker (data-lib, data-worker) and the PDF (data-src).
const holder = document.getElementById("pdf-pages");
const state = document.getElementById("pdf-state");

function lines(items) {
  const rows = [];
  let current = "";
  for (const item of items) {
    current += item.str;
    if (item.hasEOL) { rows.push(current); current = ""; }
    else if (item.str && !item.str.endsWith(" ")) { current += " "; }
  }
  if (current.trim()) rows.push(current);
  return rows.map((row) => row.trim()).filter(Boolean);
}

try {
  const pdfjsLib = await import(holder.dataset.lib);
  pdfjsLib.GlobalWorkerOptions.workerSrc = holder.dataset.worker;
  // isEvalSupported: false: the Content-Security-Policy refuses eval, so pdf.js must not even try it.
  const pdf = await pdfjsLib.getDocument({ url: holder.dataset.src, isEvalSupported: false }).promise;
  for (let number = 1; number <= pdf.numPages; number++) {
    const page = await pdf.getPage(number);
    const base = page.getViewport({ scale: 1 });
    const scale = Math.min(2, (holder.clientWidth || base.width) / base.width) * (window.devicePixelRatio || 1);
    const viewport = page.getViewport({ scale });
    const figure = document.createElement("figure");
    figure.className = "pdf-page";
    figure.dataset.page = String(number);
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    canvas.setAttribute("aria-label", `第 ${number} 页`);
    figure.appendChild(canvas);
    holder.appendChild(figure);
    await page.render({ canvasContext: canvas.getContext("2d"), viewport }).promise;
    const text = await page.getTextContent();
    const details = document.createElement("details");
    details.open = true;
    const summary = document.createElement("summary");
    summary.textContent = `第 ${number} 页文字`;
    const body = document.createElement("div");
    body.className = "pdf-text";
    body.dataset.testid = "pdf-text";
    body.textContent = lines(text.items).join("\n");
    details.append(summary, body);
    figure.appendChild(details);
  }
  state.textContent = `共 ${pdf.numPages} 页`;
  state.dataset.state = "rendered";
  state.dataset.pages = String(pdf.numPages);
} catch (error) {
  state.textContent = `PDF 加载失败：${error}`;
  state.dataset.state = "error";
}
