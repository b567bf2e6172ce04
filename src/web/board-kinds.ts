/** How a board's kind reads on the pages. */
export const BOARD_KIND_LABELS: Record<string, string> = {
  discussion: 'Discussion',
  qa: 'Questions & answers',
  showcase: 'Showcase',
  announcements: 'Announcements',
  ideas: 'Ideas',
};
