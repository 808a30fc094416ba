// memo() without preact/compat: importing compat installs a hook that
// rewrites the props of every vnode the app creates (React compatibility the
// console does not need), which was a measurable share of rendering 100
// table rows. A component wrapped here re-renders only when a prop changed
// (shallow comparison, as React.memo).
import { Component, type ComponentChild, type FunctionComponent } from 'preact';

export function memo<P extends object>(render: FunctionComponent<P>): FunctionComponent<P> {
  class Memo extends Component<P> {
    static displayName = `Memo(${render.displayName ?? render.name})`;
    shouldComponentUpdate(next: P): boolean {
      const prev = this.props as Record<string, unknown>;
      const now = next as Record<string, unknown>;
      for (const k in now) if (k !== 'children' && now[k] !== prev[k]) return true;
      for (const k in prev) if (!(k in now)) return true;
      return false;
    }
    render(props: P): ComponentChild {
      return render(props);
    }
  }
  return Memo as unknown as FunctionComponent<P>;
}
