/**
 * @module dashboard/lib/diagram
 *
 * A saga's state diagram: the API draws it as Mermaid text with the current state highlighted (a
 * `current` class), and Mermaid, loaded from this server on first use, renders it to SVG. Mermaid runs
 * with `securityLevel: 'strict'` (it sanitises labels itself); its SVG is parsed by the HTML parser of a
 * detached document (where scripts never run) and moved in as nodes.
 */
import { apiText } from './api.js';
import { h, replace } from './dom.js';

let mermaidReady = null;
let renders = 0;

function loadMermaid() {
  mermaidReady ??= import(new URL('assets/vendor/mermaid/mermaid.esm.min.mjs', document.baseURI).href).then(({ default: mermaid }) => {
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: 'base',
      themeVariables: {
        fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
        primaryColor: '#eef2f8',
        primaryBorderColor: '#8aa0bf',
        lineColor: '#6b7c93',
        textColor: '#1d2733',
        edgeLabelBackground: '#ffffff',
      },
    });
    return mermaid;
  });
  return mermaidReady;
}

/**
 * Draws `saga`'s diagram with `state` highlighted into `container`; says so in words when it cannot.
 *
 * @example
 * await renderDiagram(panel, 'order', 'AwaitingPayment');
 */
export async function renderDiagram(container, saga, state) {
  container.dataset.rendered = 'false';
  try {
    const query = new URLSearchParams({ format: 'mermaid', highlight: state });
    const text = await apiText(`sagas/${encodeURIComponent(saga)}/diagram?${query}`);
    const mermaid = await loadMermaid();
    const { svg } = await mermaid.render(`saga-diagram-${++renders}`, text);
    const parsed = new DOMParser().parseFromString(svg, 'text/html').querySelector('svg');
    if (!parsed) throw new Error('Mermaid produced no SVG.');
    replace(container, document.adoptNode(parsed));
    container.dataset.rendered = 'true';
    container.dataset.highlight = state;
  } catch (error) {
    const message =
      error?.code === 'SAGA_UNKNOWN_SAGA'
        ? 'No diagram: this saga is not registered with the server.'
        : `The diagram could not be drawn: ${error?.message ?? error}`;
    replace(container, h('p', { class: 'muted' }, message));
    container.dataset.rendered = 'error';
  }
}
