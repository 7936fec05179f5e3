// The modeler's words in the reader's language: the page carries a catalog (Indonesian text ->
// the language chosen), built on the server from the translation catalog; a text missing from
// it stays Indonesian. {name} placeholders are filled from `values`.
let catalog = null;

function load() {
  const node = document.getElementById("modeler-text");
  try { catalog = node ? JSON.parse(node.textContent) : {}; } catch (e) { catalog = {}; }
  return catalog;
}

export function t(text, values) {
  const said = (catalog || load())[text] || text;
  return said.replace(/\{(\w+)\}/g, function (all, key) {
    return values && key in values ? String(values[key]) : all;
  });
}
