import { describe, expect, it } from 'vitest';
import { markdownToHtml, shiftedDepth, wrapTables } from './markdown.ts';

// renderCard (DOMPurify) needs a DOM: its sanitising is tested in a real browser (test/dashboard.test.ts).
describe('model card markdown', () => {
  it('moves headings under the panel heading, capped at h6', () => {
    expect(shiftedDepth(1)).toBe(3);
    expect(shiftedDepth(5)).toBe(6);
    const html = markdownToHtml('# sentiment v3\n\n## Evaluation\n\ntext');
    expect(html).toContain('<h3>sentiment v3</h3>');
    expect(html).toContain('<h4>Evaluation</h4>');
    expect(html).not.toContain('<h1>');
  });

  it('renders GFM tables, each wrapped in its own labelled focusable scroll box', () => {
    const html = wrapTables(markdownToHtml('| set | F1 |\n| --- | ---: |\n| uci/imdb | 0.84 |\n\n| a | b |\n| - | - |\n| 1 | 2 |\n'));
    expect(html.match(/<div class="table-scroll" tabindex="0" role="region" aria-label="Model card table \d">/g)).toHaveLength(2);
    expect(html).toContain('aria-label="Model card table 2"');
    expect(html.match(/<\/table><\/div>/g)).toHaveLength(2);
    expect(html).toContain('<td align="right">0.84</td>');
  });

  it('shows raw HTML as text, block and inline', () => {
    const html = markdownToHtml('<script>alert(1)</script>\n\nan <img src=x onerror="alert(2)"> inline');
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('an &lt;img src=x onerror=&quot;alert(2)&quot;&gt; inline');
  });

  it('keeps table-like text as text (escaped by marked), so only real tables are wrapped', () => {
    const html = wrapTables(markdownToHtml('write `<table>` in code'));
    expect(html).not.toContain('table-scroll');
    expect(html).toContain('&lt;table&gt;');
  });
});
