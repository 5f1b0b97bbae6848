/** The view shown: the main screen or the dashboard (`#/dashboard`), following the URL hash. */
export type View = 'main' | 'dashboard';

export const DASHBOARD_HASH = '#/dashboard';

export function viewOf(hash: string): View {
  return hash === DASHBOARD_HASH ? 'dashboard' : 'main';
}

class Route {
  view = $state<View>(typeof location === 'undefined' ? 'main' : viewOf(location.hash));
  constructor() {
    if (typeof addEventListener === 'function') addEventListener('hashchange', () => (this.view = viewOf(location.hash)));
  }
}

export const route = new Route();
