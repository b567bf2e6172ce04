/** The index marks matches with control characters; escape everything else, then turn the marks into <mark>. */
export function highlight(snippet: string): string {
  const escaped = snippet.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  return escaped.replace(/\u0001/g, '<mark>').replace(/\u0002/g, '</mark>');
}
