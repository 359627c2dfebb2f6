/**
 * @module dashboard/lib/dom
 *
 * The only way the dashboard builds DOM. Strings always become text nodes (`textContent`), never markup:
 * instance data, payloads and error messages are user data, and this is what keeps them inert.
 */

/**
 * Creates an element. `props`: `class`, `text`, `dataset`, `on<event>` listeners, or attributes
 * (`true` for a boolean attribute; `false`, `null` and `undefined` are skipped). Children may be nodes,
 * strings, numbers, or (nested) arrays of them; `null`/`false` are skipped.
 *
 * @example
 * h('a', { href: '#/instances', class: 'link' }, 'Instances (', 3, ')')
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = String(value);
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Appends children as `h` does (strings as text). */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** Briefly marks an element that live updates changed, so the eye finds it. */
export function flash(element) {
  element.classList.remove('flash');
  // Reading layout restarts the CSS animation when the same element changes twice in a row.
  void element.offsetWidth;
  element.classList.add('flash');
}
