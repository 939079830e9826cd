// text from a file or a recipe is escaped before it becomes HTML
const esc = v => String(v).replace(/[&<>"']/g, ch => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[ch]));
const ind = cb_data.index.indices;
if (!ind.length) return;
const i = ind[0]; const d = src.data;
const more = ind.length > 1 ? ` (+${ind.length - 1} under the cursor)` : '';
const h = Math.max(1, Math.round(112 * aspect));
preview.text = `<img id='hover-img' src='${d.thumb[i]}' width='112' height='${h}' ` +
    `style='image-rendering:pixelated'><div style='font:11px sans-serif'>#${d.idx[i]} · ${esc(d.label[i])}${more}</div>`;
