// Compiled with `tsc --noEmit --strict` against types that openapi-typescript
// (default settings) generated from the live schema: each line states what a
// TypeScript client of todoapp must be able to write, or must be told.
import type { components } from "./api";

type Schemas = components["schemas"];

// Create needs only a title; the server fills in the rest.
export const created: Schemas["TodoRequest"] = { title: "Write the report" };
// A PATCH names only what changes.
export const renamed: Schemas["PatchedTodoRequest"] = { title: "Renamed" };

// Every key the server sends is there to read, typed, without `undefined`.
export function summary(todo: Schemas["Todo"]): string {
  const done: boolean = todo.completed;
  const tags: string[] = todo.tags;
  const due: string | null = todo.due_date;
  const text: string | null = todo.description;
  return `${todo.title} ${todo.priority} ${done} ${tags.join()} ${due} ${text}`;
}

export function pages(page: Schemas["PaginatedTodoList"]): (string | null)[] {
  return [page.next, page.previous];
}

// The feed's changes are told apart by `type` and `op`, bulk results by a tag.
export function applied(change: Schemas["Change"]): string {
  if (change.type === "todo") {
    return change.op === "upsert" ? change.todo.title : `todo ${change.id} gone`;
  }
  return change.op === "upsert" ? change.list.name : `list ${change.id} gone`;
}

// A list: its counts and the caller's role are there to read.
export function counts(list: Schemas["TodoList"]): string {
  return `${list.name} ${list.open_count}/${list.todo_count} (${list.role})`;
}

export function outcome(result: Schemas["BulkResult"]): string {
  switch (result.outcome) {
    case "saved":
      return result.todo.title;
    case "deleted":
      return String(result.status);
    case "failed":
      return result.error.detail;
  }
}

export const operations: Schemas["BulkOperationRequest"][] = [
  { op: "create", data: { title: "from bulk" } },
  { op: "update", id: 1, data: { completed: true } },
  { op: "delete", id: 2 },
];

export const token: Schemas["ApiTokenCreateRequest"] = {
  name: "script",
  scopes: ["todos:read"],
};
