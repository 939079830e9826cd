const ind = src.selected.indices; const d = src.data;
if (ind.length >= 1) {
    const i = ind[0];
    let h = `<div style='display:flex;gap:12px'><div><b>pattern #${d.idx[i]}</b><br>`;
    const pin = d.pin ? d.pin[i] : (d.thumb ? d.thumb[i] : '');
    if (pin) h += `<img id='pinned-img' src='${pin}' width='256' height='256' style='image-rendering:pixelated'>`;
    h += `</div>`;
    if (d.real[i]) h += `<div><b>particles, projected along the beam</b><br>` +
            `<img id='pinned-real' src='${d.real[i]}' width='192' height='192' style='image-rendering:pixelated'></div>`;
    const rows = d.info[i].split('\n').map(l => { const k = l.indexOf(': ');
        return `<tr><td>${l.slice(0, k)}</td><td>${l.slice(k + 2)}</td></tr>`; }).join('');  // info is escaped in Python (truth_text)
    h += `</div><table class='truth'>${rows}</table>`;
    pinned.text = css + h;
}
