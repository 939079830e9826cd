// text from a file or a recipe is escaped before it becomes HTML
const esc = v => String(v).replace(/[&<>"']/g, ch => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[ch]));
const ind = src.selected.indices; const d = src.data;
if (ind.length >= 1) {
    const key = cats.includes(colour.value) ? colour.value : (cats.length ? cats[0] : null);
    let t = `<b>${ind.length} selected</b>`;
    if (key) {
        const c = {};
        for (const i of ind) { const v = d['f_' + key][i]; c[v] = (c[v] || 0) + 1; }
        t += ` by ${esc(key)}:<br>` + Object.keys(c).sort().map(v => `${esc(v || '(none)')}: ${c[v]}`).join('<br>');
    }
    summary.text = t;
}
