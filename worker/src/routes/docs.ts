/**
 * /docs: a self-contained page (no CDN) that renders the route table from /openapi.json.
 * No inline script or style: the page's CSP (security-headers.ts) allows scripts and styles only as
 * files from this origin, so the script and the styles are served beside it (/docs/docs.js, /docs/docs.css).
 * For an interactive explorer, load /openapi.json into any OpenAPI tool.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sentiment Edge API</title>
<link rel="stylesheet" href="/docs/docs.css">
</head>
<body>
<h1 id="title">Sentiment Edge API</h1>
<p>Generated from <a href="/openapi.json"><code>/openapi.json</code></a>. Routes marked <span class="lock">🔒</span> need <code>Authorization: Bearer &lt;REGISTRY_TOKEN&gt;</code>. Errors are <code>{"error": {"code", "message", "details"}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Responses</th></tr></thead><tbody id="routes"></tbody></table>
<details><summary>Raw document</summary><pre id="raw"></pre></details>
<script type="module" src="/docs/docs.js"></script>
</body>
</html>
`;

export const DOCS_CSS = `body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1b1f24; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
code { font: 13px ui-monospace, monospace; }
.m { font-weight: 600; text-transform: uppercase; }
.lock { color: #9a6700; }
details pre { background: #f6f8fa; padding: .6rem; overflow: auto; font-size: 12px; }
`;

export const DOCS_JS = `const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
const doc = await (await fetch('/openapi.json')).json();
document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
const rows = [];
for (const [path, ops] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    const lock = op.security && op.security.length ? ' <span class="lock" title="needs the bearer token">🔒</span>' : '';
    rows.push('<tr><td class="m">' + esc(method) + lock + '</td><td><code>' + esc(path) + '</code></td><td>' + esc(op.summary) + '</td><td>' + Object.keys(op.responses || {}).map(esc).join(' ') + '</td></tr>');
  }
}
document.getElementById('routes').innerHTML = rows.join('');
document.getElementById('raw').textContent = JSON.stringify(doc, null, 2);
`;
