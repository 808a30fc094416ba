// Icons: a span drawn by a CSS mask (styles.css, .i-*): no icon font to load,
// and no SVG elements per table row (inline SVG icons made up about a third
// of the DOM the webhooks page built for 100 rows).
const icon = (name: string, small?: boolean) => () => <span class={`ic i-${name}${small ? ' small' : ''}`} aria-hidden="true" />;

export const CopyIcon = icon('copy');
export const EditIcon = icon('edit');
export const TrashIcon = icon('trash');
export const LockIcon = icon('lock', true);
export const CheckIcon = icon('check');
