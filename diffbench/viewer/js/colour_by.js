const k = colour.value; const d = src.data;
d.color = d['c_' + k].slice();
d.label = d['f_' + k] ? d['f_' + k].slice() : d.color.map((_, i) => '');
legend.text = css + legends[k];
// the class filter follows the colour field: its classes (rarest last, with counts), all shown
if (filter) {
    const vals = d['f_' + k];
    if (vals) {
        const c = {};
        for (const v of vals) { const key = v || '(none)'; c[key] = (c[key] || 0) + 1; }
        const cats = Object.keys(c).sort((a, b) => c[b] - c[a]);
        filter.labels = cats.map(v => `${v} (${c[v]})`);
        filter.active = cats.map((_, i) => i);
        filter.visible = true;
    } else {
        filter.labels = []; filter.active = []; filter.visible = false;
    }
    view_filter.indices = [...Array(d.x.length).keys()];
}
src.change.emit();
