import { OPERATIONS, newStep } from './workflow';
import type { StepDraft, StepType } from './workflow';

let uid = 0;

function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, help?: string): HTMLElement {
  const wrapper = document.createElement('div');
  wrapper.className = 'field';
  uid += 1;
  control.id = `step-field-${uid}`;
  const labelEl = document.createElement('label');
  labelEl.htmlFor = control.id;
  labelEl.textContent = label;
  wrapper.append(labelEl, control);
  if (help) {
    const helpEl = document.createElement('p');
    helpEl.className = 'help';
    helpEl.id = `${control.id}-help`;
    helpEl.textContent = help;
    control.setAttribute('aria-describedby', helpEl.id);
    wrapper.append(helpEl);
  }
  return wrapper;
}

function input<K extends keyof StepDraft>(draft: StepDraft, key: K, attrs: Partial<HTMLInputElement> = {}): HTMLInputElement {
  const el = document.createElement('input');
  Object.assign(el, attrs);
  el.value = String(draft[key]);
  el.name = key;
  el.addEventListener('input', () => {
    (draft[key] as string) = el.value;
  });
  return el;
}

function select<K extends keyof StepDraft>(draft: StepDraft, key: K, options: readonly string[], onChange?: () => void): HTMLSelectElement {
  const el = document.createElement('select');
  el.name = key;
  for (const value of options) el.append(new Option(value, value, false, value === draft[key]));
  el.addEventListener('change', () => {
    (draft[key] as string) = el.value;
    onChange?.();
  });
  return el;
}

/** The editable list of steps: one fieldset per step with the fields of its type, remove and reorder buttons. */
export class StepsEditor {
  private steps: StepDraft[];
  private models: string[] = ['stub-small'];

  constructor(
    private readonly list: HTMLOListElement,
    initial: StepDraft[],
  ) {
    this.steps = initial;
    this.render();
  }

  get value(): StepDraft[] {
    return this.steps;
  }

  setModels(models: string[]): void {
    if (models.length === 0) return;
    this.models = models;
    for (const step of this.steps) if (!models.includes(step.model_type)) step.model_type = models[0] ?? step.model_type;
    this.render();
  }

  add(type: StepType): void {
    this.steps.push(newStep(type, this.steps.length, this.models[0]));
    this.render();
    const fields = this.list.lastElementChild?.querySelectorAll<HTMLInputElement>('input, select');
    fields?.[0]?.focus();
  }

  private remove(index: number): void {
    this.steps.splice(index, 1);
    this.render();
  }

  private move(index: number, by: -1 | 1): void {
    const target = index + by;
    if (target < 0 || target >= this.steps.length) return;
    const [step] = this.steps.splice(index, 1);
    if (step) this.steps.splice(target, 0, step);
    this.render();
  }

  private render(): void {
    this.list.replaceChildren(...this.steps.map((step, index) => this.renderStep(step, index)));
  }

  private renderStep(step: StepDraft, index: number): HTMLLIElement {
    const item = document.createElement('li');
    item.className = 'step';
    item.dataset['type'] = step.type;
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = `Step ${index + 1}: ${step.type}`;
    fieldset.append(legend, field('Name', input(step, 'name', { required: true, maxLength: 128, pattern: '[A-Za-z0-9_.\\-]+' })));

    if (step.type === 'model_inference') {
      const models = this.models.includes(step.model_type) ? this.models : [step.model_type, ...this.models];
      fieldset.append(field('Model', select(step, 'model_type', models)));
      fieldset.append(field('Prompt template', input(step, 'prompt_template', { required: true }), '{key} is replaced by that key of the workflow data.'));
    } else if (step.type === 'data_processing') {
      fieldset.append(field('Operation', select(step, 'operation', OPERATIONS, () => this.render())));
      fieldset.append(field('Input key', input(step, 'input_key', { placeholder: 'response, else text' })));
      if (step.operation === 'template') fieldset.append(field('Template', input(step, 'template', { placeholder: 'Summary: {response}' })));
      if (step.operation === 'pick') fieldset.append(field('Keys (comma-separated)', input(step, 'keys', { placeholder: 'response, keywords' })));
      if (step.operation === 'extract_keywords' || step.operation === 'summarize') fieldset.append(field('Limit', input(step, 'limit', { inputMode: 'numeric' })));
    } else {
      fieldset.append(field('URL', input(step, 'url', { type: 'url', required: true }), 'The orchestrator calls only allow-listed hosts (EXTERNAL_API_ALLOWLIST).'));
      fieldset.append(field('Method', select(step, 'method', ['GET', 'POST'])));
    }
    fieldset.append(field('Output key', input(step, 'output_key', { placeholder: 'default' })));

    const actions = document.createElement('div');
    actions.className = 'row actions';
    const button = (text: string, label: string, onClick: () => void, disabled = false) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary small';
      b.textContent = text;
      b.setAttribute('aria-label', `${label} step ${index + 1}`);
      b.disabled = disabled;
      b.addEventListener('click', onClick);
      return b;
    };
    actions.append(
      button('↑', 'Move up', () => this.move(index, -1), index === 0),
      button('↓', 'Move down', () => this.move(index, 1), index === this.steps.length - 1),
      button('Remove', 'Remove', () => this.remove(index)),
    );
    fieldset.append(actions);
    item.append(fieldset);
    return item;
  }
}
