const k = colour.value; const d = src.data;
d.color = d['c_' + k].slice();
d.label = d['f_' + k] ? d['f_' + k].slice() : d.color.map((_, i) => '');
legend.text = css + legends[k];
src.change.emit();
