/// The OpenAPI 3.1 document of `/api/`, served at `/api/openapi.json`. Edited by hand beside the
/// handlers; CI checks it with openapi-spec-validator and drives the live API from it with schemathesis.
/// The cursor patterns end in `(?![\s\S])`, not `$`: Python's regex (which generates schemathesis's
/// values) lets `$` match before a final newline, so it would send `1.2\n` as valid.
enum OpenAPIDocument {
    static let text = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "TaskFCGI API",
    "version": "1",
    "description": "Tasks that complete themselves when they fall due, and the background jobs that complete them. Due dates are RFC 3339 instants with an offset; errors are RFC 9457 problem details."
  },
  "paths": {
    "/api/tasks": {
      "get": {
        "operationId": "listTasks",
        "summary": "One page of tasks, ordered by due date",
        "parameters": [
          {
            "name": "status",
            "in": "query",
            "description": "Which tasks: all (default), pending or completed.",
            "schema": {"type": "string", "enum": ["all", "pending", "completed"]}
          },
          {
            "name": "page",
            "in": "query",
            "description": "The page by number, from 1, 50 tasks a page (its cost grows with the number), or last. Give at most one of page, after and before (else 422).",
            "schema": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["last"]}]}
          },
          {
            "name": "after",
            "in": "query",
            "description": "A cursor: the page just after this row in list order, written <due>.<id> (the due date in Unix milliseconds, a dot, the task's id), as the next link carries it. Costs the same wherever the row is.",
            "schema": {"type": "string", "pattern": "^-?[0-9]{1,18}\\.[0-9]{1,18}(?![\\s\\S])"}
          },
          {
            "name": "before",
            "in": "query",
            "description": "A cursor: the page just before this row in list order (the prev link), written as for after.",
            "schema": {"type": "string", "pattern": "^-?[0-9]{1,18}\\.[0-9]{1,18}(?![\\s\\S])"}
          }
        ],
        "responses": {
          "200": {
            "description": "The page, with first/prev/next/last links.",
            "headers": {
              "Link": {
                "description": "RFC 8288 links to the first (page=1), previous (before=<due>.<id> of this page's first row), next (after=<due>.<id> of its last row) and last (page=last) pages; prev and next only where there is such a page.",
                "schema": {"type": "string"},
                "required": true
              }
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TaskPage"}}}
          },
          "400": {"$ref": "#/components/responses/400"},
          "404": {"$ref": "#/components/responses/404"},
          "422": {"$ref": "#/components/responses/422"},
          "503": {"$ref": "#/components/responses/503"}
        }
      },
      "post": {
        "operationId": "createTask",
        "summary": "Create a task",
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "description": "Makes a retried create return the first result (kept 24 h) instead of creating a second task.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"}
          }
        ],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewTask"}}}
        },
        "responses": {
          "201": {
            "description": "Created (or, for a repeated Idempotency-Key, the task the first request created).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Task"}}},
            "headers": {
              "Location": {"description": "The new task's address.", "schema": {"type": "string"}, "required": true}
            }
          },
          "400": {"$ref": "#/components/responses/400"},
          "403": {"$ref": "#/components/responses/403"},
          "409": {"$ref": "#/components/responses/409"},
          "413": {"$ref": "#/components/responses/413"},
          "415": {"$ref": "#/components/responses/415"},
          "422": {"$ref": "#/components/responses/422"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/tasks/{id}": {
      "parameters": [
        {
          "name": "id",
          "in": "path",
          "required": true,
          "description": "The task's number.",
          "schema": {"type": "integer", "format": "int64", "minimum": 1}
        }
      ],
      "get": {
        "operationId": "getTask",
        "summary": "One task",
        "responses": {
          "200": {"$ref": "#/components/responses/Task"},
          "404": {"$ref": "#/components/responses/404"},
          "503": {"$ref": "#/components/responses/503"}
        }
      },
      "patch": {
        "operationId": "updateTask",
        "summary": "Change a pending task's title or due date (JSON merge patch)",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/TaskPatch"}},
            "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/TaskPatch"}}
          }
        },
        "responses": {
          "200": {"$ref": "#/components/responses/Task"},
          "400": {"$ref": "#/components/responses/400"},
          "403": {"$ref": "#/components/responses/403"},
          "404": {"$ref": "#/components/responses/404"},
          "409": {"$ref": "#/components/responses/409"},
          "413": {"$ref": "#/components/responses/413"},
          "415": {"$ref": "#/components/responses/415"},
          "422": {"$ref": "#/components/responses/422"},
          "503": {"$ref": "#/components/responses/503"}
        }
      },
      "delete": {
        "operationId": "deleteTask",
        "summary": "Delete a task",
        "responses": {
          "204": {"description": "Deleted."},
          "403": {"$ref": "#/components/responses/403"},
          "404": {"$ref": "#/components/responses/404"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/jobs": {
      "get": {
        "operationId": "listJobs",
        "summary": "The background jobs, their durable schedules and the job lease",
        "responses": {
          "200": {
            "description": "Jobs and lease.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Jobs"}}}
          },
          "401": {"$ref": "#/components/responses/401"},
          "403": {"$ref": "#/components/responses/403"},
          "429": {"$ref": "#/components/responses/429"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/audit": {
      "get": {
        "operationId": "listAudit",
        "summary": "The newest 100 operator actions and refused or throttled sign-ins, newest first (an operator route)",
        "responses": {
          "200": {
            "description": "Audit entries.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Audit"}}}
          },
          "401": {"$ref": "#/components/responses/401"},
          "403": {"$ref": "#/components/responses/403"},
          "429": {"$ref": "#/components/responses/429"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/jobs/{name}/run": {
      "post": {
        "operationId": "runJob",
        "summary": "Run a job now (an operator route: loopback clients only, or HTTP Basic when operators are configured)",
        "parameters": [
          {
            "name": "name",
            "in": "path",
            "required": true,
            "description": "The job's name.",
            "schema": {"type": "string", "enum": ["completeDueTasks", "purgeCompletedTasks"]}
          }
        ],
        "responses": {
          "202": {
            "description": "Queued: the job thread runs it as soon as it is free.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobQueued"}}}
          },
          "400": {"$ref": "#/components/responses/400"},
          "401": {"$ref": "#/components/responses/401"},
          "403": {"$ref": "#/components/responses/403"},
          "404": {"$ref": "#/components/responses/404"},
          "409": {"$ref": "#/components/responses/409"},
          "413": {"$ref": "#/components/responses/413"},
          "415": {"$ref": "#/components/responses/415"},
          "422": {"$ref": "#/components/responses/422"},
          "429": {"$ref": "#/components/responses/429"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/jobs/{name}/pause": {
      "post": {
        "operationId": "pauseJob",
        "summary": "Pause a job: no slot and no wake-up runs until it is resumed or the until-time passes; slots passing meanwhile are recorded as skipped",
        "parameters": [{"$ref": "#/components/parameters/JobName"}],
        "requestBody": {
          "required": false,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PauseRequest"}}}
        },
        "responses": {
          "200": {
            "description": "Paused (pausing a paused job keeps its since and takes the new reason and until).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobPauseState"}}}
          },
          "400": {"$ref": "#/components/responses/400"},
          "403": {"$ref": "#/components/responses/403"},
          "404": {"$ref": "#/components/responses/404"},
          "413": {"$ref": "#/components/responses/413"},
          "415": {"$ref": "#/components/responses/415"},
          "422": {"$ref": "#/components/responses/422"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/jobs/{name}/resume": {
      "post": {
        "operationId": "resumeJob",
        "summary": "Resume a paused job: it continues with its next slot (nothing happens when it is not paused)",
        "parameters": [{"$ref": "#/components/parameters/JobName"}],
        "responses": {
          "200": {
            "description": "Not paused (any more).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobPauseState"}}}
          },
          "400": {"$ref": "#/components/responses/400"},
          "403": {"$ref": "#/components/responses/403"},
          "404": {"$ref": "#/components/responses/404"},
          "413": {"$ref": "#/components/responses/413"},
          "415": {"$ref": "#/components/responses/415"},
          "422": {"$ref": "#/components/responses/422"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/queue": {
      "get": {
        "operationId": "showQueue",
        "summary": "The durable queue: counts by state, the next jobs, recent failures and disabled webhook endpoints (an operator route)",
        "responses": {
          "200": {
            "description": "The queue.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Queue"}}}
          },
          "401": {"$ref": "#/components/responses/401"},
          "403": {"$ref": "#/components/responses/403"},
          "429": {"$ref": "#/components/responses/429"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/queue/{id}/retry": {
      "post": {
        "operationId": "retryQueuedJob",
        "summary": "Make a discarded, cancelled or waiting queued job available now, with one more attempt if it had none left (an operator route)",
        "parameters": [{"$ref": "#/components/parameters/QueuedJobID"}],
        "responses": {
          "200": {
            "description": "The job as it is now.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueuedJob"}}}
          },
          "401": {"$ref": "#/components/responses/401"},
          "403": {"$ref": "#/components/responses/403"},
          "404": {"$ref": "#/components/responses/404"},
          "409": {"$ref": "#/components/responses/409"},
          "413": {"$ref": "#/components/responses/413"},
          "429": {"$ref": "#/components/responses/429"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/queue/{id}/discard": {
      "post": {
        "operationId": "discardQueuedJob",
        "summary": "Discard a waiting queued job; a discarded or cancelled one is removed (an operator route)",
        "parameters": [{"$ref": "#/components/parameters/QueuedJobID"}],
        "responses": {
          "200": {
            "description": "The job as it is now (state removed when it was deleted).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueuedJob"}}}
          },
          "401": {"$ref": "#/components/responses/401"},
          "403": {"$ref": "#/components/responses/403"},
          "404": {"$ref": "#/components/responses/404"},
          "409": {"$ref": "#/components/responses/409"},
          "413": {"$ref": "#/components/responses/413"},
          "429": {"$ref": "#/components/responses/429"},
          "503": {"$ref": "#/components/responses/503"}
        }
      }
    },
    "/api/openapi.json": {
      "get": {
        "operationId": "openAPI",
        "summary": "This document",
        "responses": {
          "200": {
            "description": "The OpenAPI 3.1 document.",
            "content": {"application/json": {"schema": {"type": "object"}}}
          }
        }
      }
    }
  },
  "components": {
    "parameters": {
      "JobName": {
        "name": "name",
        "in": "path",
        "required": true,
        "description": "The job's name.",
        "schema": {"type": "string", "enum": ["completeDueTasks", "purgeCompletedTasks"]}
      },
      "QueuedJobID": {
        "name": "id",
        "in": "path",
        "required": true,
        "description": "The queued job's id.",
        "schema": {"type": "integer", "minimum": 1}
      }
    },
    "responses": {
      "400": {
        "description": "Malformed JSON, query or header (problem details).",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "401": {
        "description": "An operator route without valid HTTP Basic credentials (operators configured).",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {
          "WWW-Authenticate": {
            "description": "Basic realm=\"TaskFCGI operators\".",
            "schema": {"type": "string"},
            "required": true
          }
        }
      },
      "429": {
        "description": "Too many failed sign-ins from this address within a minute.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {
          "Retry-After": {
            "description": "Seconds until this address may try again.",
            "schema": {"type": "integer", "minimum": 1},
            "required": true
          }
        }
      },
      "403": {
        "description": "A cross-site request from a browser, refused (Sec-Fetch-Site or Origin); or an operator route from an address other than loopback while no operators are configured.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "404": {
        "description": "No such task, page or job.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "409": {
        "description": "The task is completed and cannot change; the job lease is held by another worker; or the Idempotency-Key's task was deleted.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "413": {
        "description": "The body is larger than maxBodyBytes.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "415": {
        "description": "The body is not sent as application/json.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "422": {
        "description": "The JSON is well formed but a field is invalid, or a query gives more than one of page, after and before; errors lists each field.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "503": {
        "description": "The database is busy or read-only; nothing was changed.",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 0},
            "required": true
          }
        }
      },
      "Task": {
        "description": "The task.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Task"}}}
      }
    },
    "schemas": {
      "Task": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "title", "due", "status", "actionAt", "createdAt"],
        "properties": {
          "id": {"type": "integer", "format": "int64", "minimum": 1},
          "title": {"type": "string", "minLength": 1},
          "due": {"type": "string", "format": "date-time"},
          "status": {"type": "string", "enum": ["pending", "completed"]},
          "actionAt": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When the job completed it; null while pending."
          },
          "createdAt": {"type": "string", "format": "date-time"}
        }
      },
      "TaskPage": {
        "type": "object",
        "additionalProperties": false,
        "required": ["tasks", "pages", "total"],
        "properties": {
          "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
          "page": {"type": "integer", "minimum": 1, "description": "The page's number, for page=N, the first and the last page; absent on a page found by a cursor."},
          "pages": {"type": "integer", "minimum": 1},
          "total": {"type": "integer", "minimum": 0}
        }
      },
      "NewTask": {
        "type": "object",
        "additionalProperties": false,
        "required": ["title", "due"],
        "properties": {
          "title": {
            "type": "string",
            "minLength": 1,
            "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$",
            "description": "Trimmed; not blank, at most 200 characters (grapheme clusters), no control characters or line separators."
          },
          "due": {
            "type": "string",
            "format": "date-time",
            "description": "An RFC 3339 instant with Z or an offset, e.g. 2026-12-01T09:00:00Z."
          }
        }
      },
      "TaskPatch": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "title": {
            "type": "string",
            "minLength": 1,
            "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$",
            "description": "Trimmed; not blank, at most 200 characters (grapheme clusters), no control characters or line separators."
          },
          "due": {"type": "string", "format": "date-time"}
        }
      },
      "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
          "type": {"type": "string"},
          "title": {"type": "string"},
          "status": {"type": "integer"},
          "detail": {"type": "string"},
          "errors": {
            "type": "array",
            "items": {
              "type": "object",
              "required": ["field", "message"],
              "additionalProperties": false,
              "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
            }
          }
        }
      },
      "Jobs": {
        "type": "object",
        "required": ["holdsLease", "jobs"],
        "properties": {
          "holdsLease": {"type": "boolean"},
          "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
          "lease": {
            "type": "object",
            "required": ["holder", "host", "generation", "acquiredAt", "expiresAt"],
            "properties": {
              "holder": {"type": "string"},
              "host": {"type": "string"},
              "generation": {"type": "integer"},
              "acquiredAt": {"type": "string", "format": "date-time"},
              "expiresAt": {"type": "string", "format": "date-time"}
            }
          }
        }
      },
      "Job": {
        "type": "object",
        "required": ["name", "enabled", "schedule", "misfire", "runs", "failures", "failuresInARow"],
        "properties": {
          "name": {"type": "string"},
          "enabled": {"type": "boolean"},
          "schedule": {"type": "string"},
          "misfire": {"type": "string", "enum": ["once", "skip"]},
          "runs": {"type": "integer"},
          "failures": {"type": "integer"},
          "failuresInARow": {"type": "integer"},
          "nextRun": {"type": "string", "format": "date-time"},
          "misfires": {"type": "integer"},
          "lastSlot": {"type": "string", "format": "date-time"},
          "lastSlotOutcome": {"type": "string"},
          "lastSlotGeneration": {"type": "integer"},
          "lastSlotHolder": {"type": "string"},
          "skippedWhilePaused": {"type": "integer", "description": "Slots that passed while the job was paused."},
          "timeout": {"type": "string", "description": "The run's time limit (jobs.NAME.timeout), e.g. 1m."},
          "timeouts": {"type": "integer", "description": "Runs in this worker that reached their time limit."},
          "paused": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Pause"}]},
          "nextSlots": {
            "type": "array",
            "description": "The next slots (at most 5): in the configured zone with its offset, and in UTC.",
            "items": {
              "type": "object",
              "required": ["at", "utc"],
              "properties": {"at": {"type": "string", "format": "date-time"}, "utc": {"type": "string", "format": "date-time"}}
            }
          },
          "lastRun": {
            "type": "object",
            "required": ["startedAt", "durationMs", "affected", "kind", "outcome", "generation"],
            "properties": {
              "startedAt": {"type": "string", "format": "date-time"},
              "durationMs": {"type": "number"},
              "affected": {"type": "integer"},
              "error": {"type": ["string", "null"]},
              "kind": {"type": "string"},
              "outcome": {"type": "string"},
              "generation": {"type": "integer"}
            }
          }
        }
      },
      "Queue": {
        "type": "object",
        "additionalProperties": false,
        "required": ["counts", "upcoming", "failures", "disabledEndpoints"],
        "properties": {
          "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
          "upcoming": {"type": "array", "items": {"$ref": "#/components/schemas/QueuedJob"}},
          "failures": {"type": "array", "items": {"$ref": "#/components/schemas/QueuedJob"}},
          "disabledEndpoints": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": ["endpoint", "since", "reason"],
              "properties": {
                "endpoint": {"type": "string"},
                "since": {"type": "string", "format": "date-time"},
                "reason": {"type": "string"}
              }
            }
          }
        }
      },
      "QueuedJob": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "state"],
        "properties": {
          "id": {"type": "integer"},
          "kind": {"type": "string"},
          "summary": {"type": "string"},
          "state": {"type": "string", "enum": ["scheduled", "available", "running", "retryable", "completed", "discarded", "cancelled", "removed"]},
          "attempt": {"type": "integer", "minimum": 0},
          "maxAttempts": {"type": "integer", "minimum": 1},
          "runAt": {"type": "string", "format": "date-time"},
          "uniqueKey": {"type": ["string", "null"]},
          "createdAt": {"type": "string", "format": "date-time"},
          "finishedAt": {"type": ["string", "null"], "format": "date-time"},
          "lastError": {"type": ["string", "null"]},
          "errors": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": ["attempt", "at", "message"],
              "properties": {
                "attempt": {"type": "integer"},
                "at": {"type": "string", "format": "date-time"},
                "message": {"type": "string"}
              }
            }
          }
        }
      },
      "Audit": {
        "type": "object",
        "additionalProperties": false,
        "required": ["entries"],
        "properties": {
          "entries": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "required": ["at", "user", "peer", "action", "job", "outcome"],
              "properties": {
                "at": {"type": "string", "format": "date-time"},
                "user": {"type": "string"},
                "peer": {"type": "string"},
                "action": {"type": "string"},
                "job": {"type": ["string", "null"]},
                "outcome": {"type": "string"}
              }
            }
          }
        }
      },
      "JobQueued": {
        "type": "object",
        "additionalProperties": false,
        "required": ["job", "status", "paused"],
        "properties": {
          "job": {"type": "string"},
          "status": {"type": "string", "enum": ["queued"]},
          "paused": {"type": "boolean", "description": "The job is paused: this runs it once, and it stays paused."}
        }
      },
      "Pause": {
        "type": "object",
        "additionalProperties": false,
        "required": ["since", "by", "reason", "until"],
        "properties": {
          "since": {"type": "string", "format": "date-time"},
          "by": {"type": "string"},
          "reason": {"type": ["string", "null"]},
          "until": {"type": ["string", "null"], "format": "date-time"}
        }
      },
      "PauseRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "reason": {"type": ["string", "null"], "maxLength": 500},
          "until": {"type": ["string", "null"], "format": "date-time", "description": "When the pause ends by itself; must be in the future (else 422)."}
        }
      },
      "JobPauseState": {
        "type": "object",
        "additionalProperties": false,
        "required": ["job", "paused"],
        "properties": {
          "job": {"type": "string"},
          "paused": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Pause"}]}
        }
      }
    }
  }
}
"""#
}
