// show only the points whose class (of the current categorical colour field) is ticked
const key = 'f_' + colour.value; const d = src.data;
if (!d[key]) { view_filter.indices = [...Array(d.x.length).keys()]; return; }
const shown = new Set(filter.active.map(a => filter.labels[a].replace(/ \(\d+\)$/, '')));
const keep = [];
for (let i = 0; i < d[key].length; i++) if (shown.has(d[key][i] || '(none)')) keep.push(i);
view_filter.indices = keep;
