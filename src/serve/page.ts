/**
 * The live page (`GET /`): one self-contained HTML file, no network beyond the
 * service itself. The licenses and the devices' last positions drawn on a
 * canvas (equirectangular at the licenses' mean latitude), the open alarms
 * listed; updated over Server-Sent Events.
 */
export const LIVE_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>greenmine · 电子围栏实时监控</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;font:14px system-ui,"Noto Sans CJK SC",sans-serif;display:grid;grid-template-columns:1fr 22rem;height:100vh}
canvas{width:100%;height:100%;background:#f6f6f2}
aside{overflow:auto;border-left:1px solid #ccc;padding:.5rem 1rem}
h1{font-size:1.1rem}li{margin:.3rem 0}.open{color:#b00}.closed{color:#666}.retracted{text-decoration:line-through}
#status{font-size:.85rem;color:#555}
</style></head><body>
<canvas id="map" aria-label="licenses and devices"></canvas>
<aside><h1>越界与扬尘报警 · Live alarms</h1><p id="status">connecting…</p><ul id="alarms"></ul></aside>
<script>
const token = new URLSearchParams(location.search).get('token');
const q = token ? '?token=' + encodeURIComponent(token) : '';
const canvas = document.getElementById('map'), ctx = canvas.getContext('2d');
const devices = new Map(), alarms = new Map();
let licenses = null, view = null;
function fit() {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => typeof c[0] === 'number' ? (b[0] = Math.min(b[0], c[0]), b[1] = Math.min(b[1], c[1]), b[2] = Math.max(b[2], c[0]), b[3] = Math.max(b[3], c[1])) : c.forEach(visit);
  for (const f of licenses.features) visit(f.geometry.coordinates);
  const k = Math.cos((b[1] + b[3]) / 2 * Math.PI / 180);
  view = { b, k };
}
function draw() {
  const w = canvas.width = canvas.clientWidth * devicePixelRatio, h = canvas.height = canvas.clientHeight * devicePixelRatio;
  if (!view) return;
  const [x0, y0, x1, y1] = view.b, pad = 0.05;
  const s = Math.min(w / ((x1 - x0) * view.k * (1 + 2 * pad)), h / ((y1 - y0) * (1 + 2 * pad)));
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const px = (lon, lat) => [w / 2 + (lon - cx) * view.k * s, h / 2 - (lat - cy) * s];
  ctx.lineWidth = devicePixelRatio;
  for (const f of licenses.features) {
    ctx.beginPath();
    for (const poly of f.geometry.coordinates) for (const ring of poly) ring.forEach((c, i) => { const [x, y] = px(c[0], c[1]); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
    ctx.fillStyle = 'rgba(0,158,115,.12)'; ctx.fill('evenodd'); ctx.strokeStyle = '#009e73'; ctx.stroke();
  }
  for (const d of devices.values()) {
    const [x, y] = px(d.lon, d.lat);
    ctx.beginPath(); ctx.arc(x, y, 3 * devicePixelRatio, 0, 7);
    ctx.fillStyle = d.open ? '#d55e00' : '#0072b2'; ctx.fill();
  }
}
function list() {
  const ul = document.getElementById('alarms');
  ul.replaceChildren(...[...alarms.values()].sort((a, b) => b.startS - a.startS).slice(0, 200).map((a) => {
    const li = document.createElement('li');
    li.className = a.state + (a.retracted ? ' retracted' : '');
    li.textContent = a.type + ' · ' + (a.device || a.station) + ' · ' + (a.licenseId || '—') + ' · ' + a.start + (a.end ? ' → ' + a.end : '') + (a.maxDistanceM != null ? ' · ' + a.maxDistanceM.toFixed(1) + ' m' : '') + (a.peak != null ? ' · ' + Math.round(a.peak) + ' µg/m³' : '');
    return li;
  }));
}
fetch('/state' + q).then((r) => r.json()).then((s) => {
  licenses = s.licenses; fit();
  for (const d of s.devices) devices.set(d.device, d);
  for (const a of s.openAlarms) alarms.set(a.id, a);
  draw(); list();
  const es = new EventSource('/alarms/stream' + q);
  es.addEventListener('hello', () => { document.getElementById('status').textContent = 'live · ' + devices.size + ' devices'; });
  es.addEventListener('positions', (e) => { for (const d of JSON.parse(e.data)) devices.set(d.device, d); document.getElementById('status').textContent = 'live · ' + devices.size + ' devices'; draw(); });
  es.addEventListener('alarm', (e) => { const a = JSON.parse(e.data); alarms.set(a.id, a); list(); });
  es.onerror = () => { document.getElementById('status').textContent = 'reconnecting…'; };
});
addEventListener('resize', draw);
</script></body></html>
`;
