// What writing JSON by hand (JSONText, Sources/TaskFCGIKit/Logging/JSONText.swift) saves over
// Foundation's JSONEncoder, for the two things the worker writes most: a 50-task API page and one
// JSON access-log line. Built with `swiftc -O` beside JSONText.swift by Benchmarks/json-cost.sh.
import Foundation

struct T: Encodable { let id: Int64; let title: String; let due: String; let status: String; let actionAt: String?; let createdAt: String
  func encode(to e: Encoder) throws { var c = e.container(keyedBy: K.self); try c.encode(id, forKey: .id); try c.encode(title, forKey: .title); try c.encode(due, forKey: .due); try c.encode(status, forKey: .status); try c.encode(actionAt, forKey: .actionAt); try c.encode(createdAt, forKey: .createdAt) }
  enum K: CodingKey { case id, title, due, status, actionAt, createdAt } }
struct Page: Encodable { let tasks: [T]; let page: Int; let pages: Int; let total: Int }
let tasks = (0..<50).map { T(id: Int64($0), title: "Task \($0): review <report> & \"notes\" for team's sprint", due: "2026-12-01T09:00:00.000Z", status: "pending", actionAt: nil, createdAt: "2026-11-24T21:13:33.607Z") }
func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) * 1e6 + Double(t.tv_nsec) / 1e3 }
let n = 2000
var sink = 0
var start = now()
for _ in 0..<n {
  var j = JSONText(); j.field("tasks", json: JSONText.array(tasks.map { t in var o = JSONText(); o.field("id", t.id); o.field("title", t.title); o.field("due", t.due); o.field("status", t.status); o.field("actionAt", t.actionAt); o.field("createdAt", t.createdAt); return o.object }))
  j.field("page", 1); j.field("pages", 1); j.field("total", 50); sink += Array(j.object.utf8).count
}
let ours = (now() - start) / Double(n)
let encoder = JSONEncoder()
start = now()
for _ in 0..<n { sink += [UInt8](try! encoder.encode(Page(tasks: tasks, page: 1, pages: 1, total: 50))).count }
let theirs = (now() - start) / Double(n)
// one access log line
start = now()
for _ in 0..<20000 { var j = JSONText(); j.field("time", "2026-11-24T21:13:33.618Z"); j.field("level", "info"); j.field("source", "http"); j.field("message", "GET /tasks/1 200 2545 0.3 ms"); j.field("method", "GET"); j.field("path", "/tasks/1"); j.field("status", 200); j.field("bytes", 2545); j.field("durationMs", 0.312); sink += j.object.utf8.count }
let lineOurs = (now() - start) / 20000
struct Line: Encodable { let time, level, source, message, method, path: String; let status, bytes: Int; let durationMs: Double }
start = now()
for _ in 0..<20000 { sink += (try! encoder.encode(Line(time: "2026-11-24T21:13:33.618Z", level: "info", source: "http", message: "GET /tasks/1 200 2545 0.3 ms", method: "GET", path: "/tasks/1", status: 200, bytes: 2545, durationMs: 0.312))).count }
let lineTheirs = (now() - start) / 20000
print(String(format: "50-task page: JSONText %.1f µs, JSONEncoder %.1f µs; access line: JSONText %.2f µs, JSONEncoder %.2f µs (%d)", ours, theirs, lineOurs, lineTheirs, sink % 7))
