/**
 * @module dashboard/lib/token-prompt
 *
 * The modal that asks for the API token. It cannot be dismissed: without a token no call can succeed.
 */

/**
 * Shows the dialog and resolves with what the user typed.
 *
 * @example
 * const token = await askForToken('The server refused that token.');
 */
export function askForToken(message) {
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const error = document.getElementById('token-error');
  error.textContent = message ?? '';
  error.hidden = !message;
  input.value = '';
  return new Promise((resolve) => {
    const onCancel = (event) => event.preventDefault();
    const onSubmit = (event) => {
      const token = input.value.trim();
      if (!token) {
        event.preventDefault();
        return;
      }
      form.removeEventListener('submit', onSubmit);
      dialog.removeEventListener('cancel', onCancel);
      resolve(token);
    };
    form.addEventListener('submit', onSubmit);
    dialog.addEventListener('cancel', onCancel);
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}
