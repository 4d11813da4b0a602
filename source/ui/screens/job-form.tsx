/**
 * The job form: create a backup copy job, or edit one, from the TUI — name,
 * from, to, selection (machines, nodes, points), mode, every / cron, copy
 * window, throttle, RPO, pre/post scripts, retention on the target (keep
 * last / weekly / monthly / yearly, when a period starts, prune every /
 * cron; every keep empty: none), enabled. Up/Down (Tab) move
 * between fields, typing edits the field under the cursor, Space changes a
 * choice. Enter checks the whole job with the engine's own rules — the same
 * sentences `backhaul job add` prints — and saves it, or shows the error at
 * its field and saves nothing; Esc leaves without saving. Every printable key
 * is the form's (q, J and the other screen keys type letters here). When
 * the fields do not fit the screen's height they scroll with the cursor,
 * and the caption says which are shown ("1–18 of 24").
 */
import React from 'react';
import {Box, Text} from 'ink';
import {addJob, checkJob, checkRepositories, findJob, updateJob, type JobDefinition} from '../../engine/jobs/index.js';
import {statusFromError} from '../components/status-line.js';
import {TextInput, textInputKey} from '../components/text-input.js';
import {safeText} from '../format.js';
import {matches} from '../keymap.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {useStore} from '../store.js';
import {truncate} from '../text.js';
import {useTheme} from '../theme.js';
import {Caption} from './common.js';
import {fieldAt, fieldOf, FIELDS, formFor, formReducer, jobFromForm, type FormError} from './job-form-state.js';
import {defineScreen, type ScreenProps} from './screen.js';

/** `name`: the job to edit; absent: a new job. */
export interface JobFormParams {
  readonly name?: string;
}

const LABEL = 15;

/** The first field shown: the cursor's field stays in view, `rows` fields at a time. */
export function firstShown(at: number, rows: number, count: number): number {
  if (rows >= count) return 0;
  return Math.min(Math.max(0, at - Math.floor(rows / 2)), count - rows);
}

function errorOf(e: unknown): FormError {
  const status = statusFromError(e);
  return {field: fieldOf(status.message, status.hint), message: status.message, hint: status.hint};
}

async function save(job: JobDefinition, editing: boolean): Promise<void> {
  checkJob(job);
  checkRepositories(job);
  if (editing) await updateJob(job.name, () => job);
  else await addJob(job);
}

function JobFormScreen({params, width, height}: ScreenProps<JobFormParams>) {
  const shell = useShell();
  const theme = useTheme();
  const [old] = React.useState(() => (params.name ? findJob(params.name) : undefined));
  const [state, form] = useStore(formReducer, () => formFor(old));
  const saving = React.useRef(false);
  useFooter(['form.save', 'form.change', 'input.cancel']);
  useScreenKeys(k => {
    const s = form.get();
    if (matches('form.save', k)) {
      if (saving.current) return true;
      let job: JobDefinition;
      try {
        job = jobFromForm(s, old);
      } catch (e) {
        form.dispatch({type: 'error', error: errorOf(e)});
        return true;
      }
      saving.current = true;
      void save(job, old !== undefined).then(
        () => {
          shell.pop();
          shell.showStatus({
            kind: 'ok',
            message: `Saved job ${job.name}.`,
            hint: job.enabled
              ? 'The service (`backhaul service`) runs it; c on the Jobs screen runs it now.'
              : 'It is disabled: d on the Jobs screen enables it.',
          });
        },
        (e: unknown) => {
          saving.current = false;
          form.dispatch({type: 'error', error: errorOf(e)});
        },
      );
    } else if (matches('input.cancel', k)) {
      shell.pop();
      shell.showStatus({kind: 'info', message: old ? `Nothing changed in ${old.name}.` : 'No job was saved.'});
    } else if (matches('form.next', k)) form.dispatch({type: 'move', by: 1});
    else if (matches('form.prev', k)) form.dispatch({type: 'move', by: -1});
    else if (fieldAt(s).choices && (matches('form.change', k) || k.name === 'right' || k.name === 'left'))
      form.dispatch({type: 'change', by: k.name === 'left' ? -1 : 1});
    else {
      const action = textInputKey(k);
      if (!action || action.type === 'submit' || action.type === 'cancel') return false;
      form.dispatch({type: 'text', action});
    }
    return true;
  });
  if (params.name && !old)
    return <Caption width={width}>{`No job is named ${params.name} (any more). Esc goes back.`}</Caption>;
  const valueWidth = Math.max(8, width - LABEL - 2);
  const error = state.error;
  const errorLines = error
    ? [
        <Text key="e" {...theme.error} wrap="truncate">
          {truncate(`✗ ${safeText(error.message)}`, width)}
        </Text>,
        ...(error.hint
          ? [
              <Text key="h" {...theme.muted} wrap="truncate">
                {truncate(`  ${safeText(error.hint)}`, width)}
              </Text>,
            ]
          : []),
      ]
    : [];
  // The caption, the help line and the error lines take their rows first; the fields share the rest.
  const rows = Math.max(1, height - 2 - errorLines.length);
  const first = firstShown(state.at, rows, FIELDS.length);
  const shownFields = FIELDS.slice(first, first + rows);
  const more =
    shownFields.length < FIELDS.length ? ` · ${first + 1}–${first + shownFields.length} of ${FIELDS.length}` : '';
  return (
    <Box flexDirection="column">
      <Caption
        width={width}
      >{`${old ? `Edit job ${old.name}` : 'New job'} · Enter checks and saves · Esc leaves without saving${more}`}</Caption>
      {!error?.field ? errorLines : null}
      {shownFields.map((f, j) => {
        const i = first + j;
        const here = i === state.at;
        const v = state.values[f.id];
        const shown = f.choices ? `‹ ${v.value} ›` : v.value;
        return (
          <Box key={f.id} flexDirection="column">
            <Box>
              <Text {...(here ? theme.accent : {})} {...(error?.field === f.id ? theme.error : {})}>
                {`${here ? '›' : ' '} ${f.label}`.padEnd(LABEL).slice(0, LABEL)}{' '}
              </Text>
              {here && !f.choices && !(f.id === 'name' && old) ? (
                <TextInput state={v} width={valueWidth} />
              ) : (
                <Text wrap="truncate" {...(f.id === 'name' && old ? theme.muted : {})}>
                  {truncate(safeText(shown) || ' ', valueWidth)}
                </Text>
              )}
            </Box>
            {error?.field === f.id ? errorLines : null}
          </Box>
        );
      })}
      <Text {...theme.muted} wrap="truncate">
        {truncate(fieldAt(state).help, width)}
      </Text>
    </Box>
  );
}

export const jobFormScreen = defineScreen<JobFormParams>({
  id: 'job-form',
  title: 'Job',
  breadcrumb: p => (p.name ? `edit ${p.name}` : 'new job'),
  actions: ['form.save', 'form.next', 'form.prev', 'form.change'],
  component: JobFormScreen,
});
