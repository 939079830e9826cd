const i = opts.indexOf(sel.value); src.data[col] = src.data['z' + i].slice(); ax.axis_label = sel.value;
src.change.emit();
