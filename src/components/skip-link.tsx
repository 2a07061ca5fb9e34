/**
 * The first stop of the Tab key on every page: jumps past the header and its navigation to the page's own
 * content. Every page's <main> is id="main" with tabIndex -1, so following the link moves focus there too.
 */
export function SkipLink() {
  return (
    <a href="#main" className="skip-link">
      Skip to main content
    </a>
  );
}
