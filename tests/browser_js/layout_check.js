() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  const visible = el => el.offsetParent !== null && el.getClientRects().length > 0;
  const check = (cell, where) => {
    if (!visible(cell)) return;
    let leaf = cell; while (leaf.firstElementChild && leaf.firstElementChild.innerText === leaf.innerText) leaf = leaf.firstElementChild;
    const st = getComputedStyle(leaf);
    ctx.font = `${st.fontStyle} ${st.fontWeight} ${st.fontSize} ${st.fontFamily}`;
    const words = (cell.innerText || '').split(/\s+/).filter(Boolean);
    if (!words.length) return;
    const longest = words.reduce((a, w) => ctx.measureText(w).width > ctx.measureText(a).width ? w : a, words[0]);
    const need = ctx.measureText(longest).width;
    const inner = leaf.clientWidth - parseFloat(st.paddingLeft || 0) - parseFloat(st.paddingRight || 0);
    if (need > inner + 1) out.push(`${where}: cell narrower than "${longest}" (${need.toFixed(0)} > ${inner.toFixed(0)} px)`);
    const wrap = cell.querySelector('.header-content') || cell.querySelector('.cell-wrap') || cell;
    if (wrap.scrollWidth > wrap.clientWidth + 1) out.push(`${where}: cell text cut ("${(cell.innerText || '').slice(0, 30)}" ${wrap.scrollWidth} > ${wrap.clientWidth} px)`);
  };
  document.querySelectorAll('#chat table td, #chat table th').forEach(c => check(c, 'chat'));
  document.querySelectorAll('#evidence-card td, #evidence-card th, #evidence-md td, #evidence-md th').forEach(c => check(c, c.closest('[id^=evidence]').id));
  document.querySelectorAll('[id^="evidence-table"] [role=gridcell], [id^="evidence-table"] th[role=columnheader]').forEach(c => check(c, c.closest('[id^="evidence-table"]').id));
  // a table wider than its pane (a horizontal scroll hides its right-hand columns)
  document.querySelectorAll("[id^=evidence-table] .virtual-table-viewport, #evidence-card table, #evidence-md table, #evidence-card .block, #evidence-card").forEach(el => {
    if (!visible(el)) return;
    const id = el.closest("[id^=evidence]").id;
    if (el.scrollWidth > el.clientWidth + 2) out.push(`${id}: clipped (${el.tagName} ${el.className.toString().slice(0, 30)} scroll ${el.scrollWidth} > ${el.clientWidth})`);
  });
  // a chart (a Vega-Lite plot: forecast bands, two periods) wider than the evidence pane
  document.querySelectorAll('[id^="evidence-plot"]').forEach(el => {
    if (!visible(el)) return;
    const drawn = el.querySelector('canvas, svg.marks');
    if (!drawn) { out.push(`${el.id}: shown but not drawn`); return; }
    const pane = el.parentElement.getBoundingClientRect();
    const box = drawn.getBoundingClientRect();
    if (box.width < 50 || box.height < 50) out.push(`${el.id}: drawn ${box.width.toFixed(0)}x${box.height.toFixed(0)} px`);
    if (box.right > pane.right + 2) out.push(`${el.id}: chart wider than the pane (${box.right.toFixed(0)} > ${pane.right.toFixed(0)})`);
  });
  return [...new Set(out)];
}
