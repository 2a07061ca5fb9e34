"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { RequestErrorAlert } from "~/components/request-error";
import { useTimeZone } from "~/components/time-zone";
import { useNow } from "~/components/use-now";
import { TOKEN_NAME_MAX_LENGTH, type TokenExpiryDays } from "~/server/tokens/schemas";
import type { TokenScope } from "~/server/tokens/scopes";
import { api, type RouterOutputs } from "~/trpc/react";
import { ExpirationField, expirationDays, type ExpirationChoice } from "./expiration-field";
import styles from "./tokens.module.css";

export type GeneratedToken = RouterOutputs["tokens"]["generate"];

type FieldName = "name" | "scopes" | "expiresInDays";
type FieldErrors = Partial<Record<FieldName, string[]>>;

interface CreateTokenFormProps {
  scopes: { scope: TokenScope; description: string }[];
  expiryDays: TokenExpiryDays[];
  defaultExpiryDays: TokenExpiryDays;
  onCreated(token: GeneratedToken): void;
  onCancel(): void;
}

export function CreateTokenForm({ scopes, expiryDays, defaultExpiryDays, onCreated, onCancel }: CreateTokenFormProps) {
  const utils = api.useUtils();
  const nameRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState("");
  const [selectedScopes, setSelectedScopes] = useState<TokenScope[]>(scopes.slice(0, 1).map(({ scope }) => scope));
  const [expiration, setExpiration] = useState<ExpirationChoice>({ option: String(defaultExpiryDays), customDate: "" });
  const [localErrors, setLocalErrors] = useState<FieldErrors | null>(null);
  const now = useNow(60_000);
  const timeZone = useTimeZone();

  const generate = api.tokens.generate.useMutation({
    // The plaintext must not linger in the mutation cache once the panel that shows it is gone.
    gcTime: 0,
    onSuccess(created) {
      onCreated(created);
      generate.reset();
      setName("");
      const { token: _plaintext, ...summary } = created;
      utils.tokens.list.setData(undefined, (rows) =>
        rows ? [{ ...summary, revokedAt: null, lastUsedAt: null, status: "active" as const }, ...rows] : rows,
      );
      void utils.tokens.list.invalidate();
    },
  });

  // Opened by New token: start typing the name at once.
  useEffect(() => {
    nameRef.current?.focus();
  }, []);

  const serverFieldErrors: FieldErrors | undefined = generate.error?.data?.zodError?.fieldErrors;
  const fieldErrors = localErrors ?? serverFieldErrors;
  const formError = !localErrors && generate.error && !serverFieldErrors ? generate.error : null;

  function clearErrors() {
    setLocalErrors(null);
    if (generate.error) generate.reset();
  }

  function toggleScope(scope: TokenScope, checked: boolean) {
    clearErrors();
    setSelectedScopes((current) => (checked ? [...current, scope] : current.filter((value) => value !== scope)));
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // The same rules as the server, checked first so an obvious slip costs no round trip.
    const errors: FieldErrors = {};
    if (name.trim() === "") errors.name = ["Give the token a name."];
    else if ([...name.trim()].length > TOKEN_NAME_MAX_LENGTH) errors.name = [`Use at most ${TOKEN_NAME_MAX_LENGTH} characters.`];
    if (selectedScopes.length === 0) errors.scopes = ["Choose at least one scope."];
    const lifetime = expirationDays(expiration, new Date(), timeZone);
    if ("error" in lifetime) errors.expiresInDays = [lifetime.error];
    if (Object.keys(errors).length > 0 || "error" in lifetime) {
      setLocalErrors(errors);
      return;
    }
    setLocalErrors(null);
    generate.mutate({
      name,
      scopes: selectedScopes,
      expiresInDays: lifetime.days,
    });
  }

  const nameError = fieldErrors?.name?.[0];
  const scopesError = fieldErrors?.scopes?.[0];
  const expirationError = fieldErrors?.expiresInDays?.[0];
  // write:bookings alone can book and cancel, but cannot find a hospital or a booking to act on.
  const writeWithoutRead = selectedScopes.includes("write:bookings") && !selectedScopes.includes("read:data");

  return (
    // method="post": should the script not run, the browser posts the form (nothing happens) instead of
    // putting the fields in the address bar.
    <form
      method="post"
      className={`stack card ${styles.form}`}
      onSubmit={onSubmit}
      noValidate
      aria-busy={generate.isPending}
      aria-labelledby="create-token-heading"
    >
      <h2 id="create-token-heading">New token</h2>
      <div>
        <label htmlFor="token-name">Token name</label>
        <input
          id="token-name"
          name="name"
          ref={nameRef}
          type="text"
          value={name}
          autoComplete="off"
          placeholder="e.g. Claude Desktop on my laptop"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? "token-name-error" : undefined}
          onChange={(event) => {
            clearErrors();
            setName(event.target.value);
          }}
        />
        {nameError && (
          <p id="token-name-error" className="field-error">
            {nameError}
          </p>
        )}
      </div>

      <fieldset
        className={styles.scopes}
        aria-describedby={[scopesError ? "token-scopes-error" : null, writeWithoutRead ? "token-scopes-warning" : null].filter(Boolean).join(" ") || undefined}
      >
        <legend>Scopes</legend>
        {scopes.map(({ scope, description }) => {
          const id = `token-scope-${scope.replace(/[^a-z]/g, "-")}`;
          return (
            <div key={scope}>
              <label className="checkbox">
                <input
                  type="checkbox"
                  id={id}
                  name="scopes"
                  value={scope}
                  checked={selectedScopes.includes(scope)}
                  aria-describedby={`${id}-description`}
                  onChange={(event) => toggleScope(scope, event.target.checked)}
                />
                {scope}
              </label>
              <p id={`${id}-description`} className={`muted ${styles.scopeDescription}`}>
                {description}
              </p>
            </div>
          );
        })}
        {writeWithoutRead && (
          <p id="token-scopes-warning" className="warning">
            Without <code>read:data</code>, an assistant can book and cancel but cannot search hospitals or list your
            bookings, so it will not know what to book or cancel. Add <code>read:data</code> unless you mean that.
          </p>
        )}
        {scopesError && (
          <p id="token-scopes-error" className="field-error">
            {scopesError}
          </p>
        )}
      </fieldset>

      <ExpirationField
        id="token-expiration"
        label="Expiration"
        expiryDays={expiryDays}
        defaultExpiryDays={defaultExpiryDays}
        choice={expiration}
        onChange={(choice) => {
          clearErrors();
          setExpiration(choice);
        }}
        error={expirationError}
        now={now}
      />

      {formError && <RequestErrorAlert error={formError} attempt="create the token" />}
      <p className="actions">
        <button type="submit" className="primary" disabled={generate.isPending}>
          Generate token
        </button>
        <button type="button" onClick={onCancel} disabled={generate.isPending}>
          Cancel<span className="visually-hidden"> new token</span>
        </button>
      </p>
    </form>
  );
}
