/**
 * Model cards as HTML: Markdown rendered by marked, then sanitised by DOMPurify (a card comes from the
 * registry, i.e. from whoever published the version, so it is untrusted). Headings are moved down two
 * levels so a card's `#` sits under the panel's h2, and tables are wrapped in a focusable scroll box
 * (keyboard users can scroll a wide table; axe `scrollable-region-focusable`). Raw HTML in the Markdown
 * is shown as text.
 * Loaded on demand (dynamic import) so neither library weighs on the app shell.
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

/** Heading depth after shifting: a card's h1 becomes an h3 under the model panel's h2. */
export function shiftedDepth(depth: number, by = 2): number {
  return Math.min(6, depth + by);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const marked = new Marked({
  gfm: true,
  async: false,
  walkTokens(token) {
    if (token.type === 'heading') token.depth = shiftedDepth(token.depth);
  },
  // Raw HTML in a card is shown as text, never parsed: a card needs none, and parsing it (even in
  // DOMPurify's inert document) makes the browser report the app's CSP blocking its handlers and styles.
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
});

/** Markdown → HTML string, raw HTML escaped; links and images are not checked here (renderCard sanitises). */
export function markdownToHtml(md: string): string {
  return marked.parse(md, { async: false });
}

/** Wraps each table of sanitised HTML in a labelled, focusable box that scrolls sideways on a phone. */
export function wrapTables(html: string): string {
  let n = 0;
  return html
    .replace(/<table>/g, () => `<div class="table-scroll" tabindex="0" role="region" aria-label="Model card table ${++n}"><table>`)
    .replace(/<\/table>/g, '</table></div>');
}

/** Markdown from the registry → safe HTML for {@html}: no scripts, handlers, styles or forms survive. */
export function renderCard(md: string): string {
  const clean = DOMPurify.sanitize(markdownToHtml(md), {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style', 'tabindex'],
  });
  return wrapTables(clean);
}
