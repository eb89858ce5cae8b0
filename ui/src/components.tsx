import type { ComponentChildren } from 'preact';

/** An API or input error, shown as its text (Preact escapes it: never markup). */
const ErrorBox = ({ message }: { message: string | undefined }) =>
  message === undefined ? null : (
    <p class="error" role="alert">
      {message}
    </p>
  );

const Loading = () => <p aria-busy="true">Loading…</p>;

/** A labelled control: the control is inside the label, which is what associates them. */
const Field = ({ label, children }: { label: string; children: ComponentChildren }) => (
  // biome-ignore lint/a11y/noLabelWithoutControl: the control comes in as children, inside the label
  <label class="field">
    <span>{label}</span>
    {children}
  </label>
);

const GrantLink = ({ id }: { id: string }) => <a href={`#/grant/${id}`}>{id}</a>;

const StateBadge = ({ state }: { state: string }) => <span class={`state state-${state.toLowerCase()}`}>{state}</span>;

export { ErrorBox, Field, GrantLink, Loading, StateBadge };
