// pin the tapped point: its pattern (y up, aspect kept, with its colour bar and axes caption), the
// particles' real-space projection (y up, scale bar) and its truth
const ind = src.selected.indices; const d = src.data;
if (ind.length >= 1) {  // a tap selects every point under the cursor: pin the first
    const i = ind[0];
    const w = 256, h = Math.max(1, Math.round(256 * aspect));  // the detector's shape, not a square
    let html = `<div style='display:flex;gap:14px;align-items:flex-start'><div><b>pattern #${d.idx[i]}</b><br>`;
    const pin = d.pin ? d.pin[i] : (d.thumb ? d.thumb[i] : '');
    if (pin) {
        html += `<img id='pinned-img' src='${pin}' width='${w}' height='${h}' style='image-rendering:pixelated'>`;
        const top = d.pin_max ? d.pin_max[i] : null;
        html += `<div class='bar' style='width:${w}px;background:linear-gradient(to right,${stops})'></div>` +
                `<div style='font:11px sans-serif;width:${w}px'>0<span style='float:right'>` +
                `${top === null ? 'max' : Math.round(top).toLocaleString()} photons per block (log scale)</span></div>` +
                `<div style='font:11px sans-serif;width:${w}px'>${caption}</div>`;
    }
    html += `</div>`;
    if (d.real[i]) html += `<div><b>particles, projected along the beam</b><br>` +
            `<img id='pinned-real' src='${d.real[i]}' width='192' height='192' style='image-rendering:pixelated'>` +
            `<div style='font:11px sans-serif;width:192px'>x right, y up, as the pattern</div></div>`;
    const rows = d.info[i].split('\n').map(l => { const k = l.indexOf(': ');
        return `<tr><td>${l.slice(0, k)}</td><td>${l.slice(k + 2)}</td></tr>`; }).join('');  // info is escaped in Python (truth_text)
    html += `</div><table class='truth'>${rows}</table>`;
    pinned.text = css + html;
}
