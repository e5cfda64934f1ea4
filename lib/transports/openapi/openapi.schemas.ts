/*
 * @internal The schemas, examples and parameters of the OpenAPI document of the probe routes:
 * the health+json report (draft-inadarei-api-health-check), its `?verbose` text, Nest's errors.
 */

const HEALTH_JSON = 'application/health+json';
export const TEXT = 'text/plain';
const JSON_TYPE = 'application/json';

function statusSchema(description: string): object {
  return { type: 'string', enum: ['pass', 'warn', 'fail'], description };
}

/** One element of a `checks` array: `CheckReport`. */
function checkReportSchema(): object {
  return {
    type: 'object',
    required: ['componentId', 'componentType', 'status', 'time'],
    properties: {
      componentId: { type: 'string', example: 'database' },
      componentType: {
        type: 'string',
        description: '`component`, `datastore`, `system` or a URI.',
        example: 'datastore',
      },
      status: statusSchema("This check's status."),
      observedValue: {
        oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }],
        description: 'What the check measured; by default its duration.',
        example: 1.93,
      },
      observedUnit: { type: 'string', example: 'ms' },
      time: {
        type: 'string',
        format: 'date-time',
        description: 'When the value was observed (shows the age of a cached result).',
      },
      autoDiscovered: {
        type: 'boolean',
        enum: [true],
        description: 'Present on a check made for a client `autoIndicators` found.',
      },
      output: { type: 'string', description: 'Why the check warns or fails.' },
      details: {
        type: 'object',
        additionalProperties: true,
        description: "The indicator's extra information, redacted and bounded.",
      },
    },
  };
}

/** `HealthReport`: the `application/health+json` body (draft-inadarei-api-health-check). */
function healthReportSchema(): object {
  return {
    type: 'object',
    required: ['status'],
    properties: {
      status: statusSchema('`pass` and `warn` answer 200, `fail` answers 503.'),
      version: { type: 'string' },
      releaseId: { type: 'string' },
      serviceId: { type: 'string' },
      description: { type: 'string' },
      output: { type: 'string', description: 'Why the probe warns or fails.' },
      notes: {
        type: 'array',
        items: { type: 'string' },
        description: 'Remarks about the answer, such as an `exclude` name that matched no check.',
      },
      checks: {
        type: 'object',
        description: 'Keyed `<name>:<measurement>`, for example `database:responseTime`.',
        additionalProperties: { type: 'array', items: checkReportSchema() },
      },
    },
  };
}

/** Nest's own error body, as 403 and 404 answer it. */
function errorSchema(): object {
  return {
    type: 'object',
    properties: {
      statusCode: { type: 'integer' },
      message: { type: 'string' },
      error: { type: 'string' },
    },
  };
}

/** The `?verbose` text of an answer, as `renderText()` writes it. */
function textExample(status: 200 | 503, subject: string, runsChecks: boolean): string {
  if (!runsChecks) return `${subject} check passed\n`;
  return status === 200
    ? `[+]database ok\n${subject} check passed\n`
    : `[-]database failed: timed out after 500 ms\n${subject} check failed\n`;
}

/** A probe's answer: health+json, or text with `?verbose` / `Accept: text/plain`. */
export function healthResponse(
  status: 200 | 503,
  subject: string,
  description: string,
  { example, runsChecks = true }: { example?: object; runsChecks?: boolean } = {},
): object {
  return {
    status,
    description,
    content: {
      [HEALTH_JSON]: { schema: healthReportSchema(), ...(example ? { example } : {}) },
      [TEXT]: { schema: { type: 'string' }, example: textExample(status, subject, runsChecks) },
    },
  };
}

export function errorResponse(
  status: 403 | 404 | 500,
  description: string,
  contentType = JSON_TYPE,
) {
  const schema = contentType === JSON_TYPE ? errorSchema() : { type: 'string' };
  return { status, description, content: { [contentType]: { schema } } };
}

export const DENIED = errorResponse(
  403,
  'The caller is not internal (`deniedStatus: 404` answers 404 instead, to hide the route).',
);

export const VERBOSE = {
  name: 'verbose',
  required: false,
  allowEmptyValue: true,
  schema: { type: 'boolean' },
  description:
    'Present (even empty: `?verbose`): answers `text/plain` in the Kubernetes style, with the ' +
    'same status code. `Accept: text/plain` does the same. Internal callers only.',
};

export const EXCLUDE = {
  name: 'exclude',
  required: false,
  style: 'form',
  explode: true,
  schema: { type: 'array', items: { type: 'string' } },
  description:
    'A check to leave out of this answer (repeatable); the status is aggregated again from the ' +
    'rest. A name that matches no check is reported in `notes`. Internal callers only.',
};

export function nameParam(probe: string) {
  return {
    name: 'name',
    required: true,
    schema: { type: 'string' },
    description: `The name of a check of ${probe}, as \`@HealthIndicator({ name })\` gives it.`,
  };
}

export const READY_EXAMPLE = {
  status: 'warn',
  output: 'cache: connection refused',
  checks: {
    'database:responseTime': [
      {
        componentId: 'database',
        componentType: 'datastore',
        status: 'pass',
        observedValue: 1.93,
        observedUnit: 'ms',
        time: '2026-11-21T09:14:03.512Z',
      },
    ],
  },
};
