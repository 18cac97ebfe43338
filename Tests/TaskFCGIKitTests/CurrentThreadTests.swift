import Foundation
import Glibc
import Synchronization
import Testing
@testable import TaskFCGIKit

@Suite struct CurrentThreadTests {
    /// Runs `body` on a new thread and returns what it returned.
    private func onNewThread<T: Sendable>(_ body: @escaping @Sendable () -> T) throws -> T {
        let result = Mutex<T?>(nil)
        Thread { let value = body(); result.withLock { $0 = value } }.start()
        let deadline = Date().addingTimeInterval(5)
        while result.withLock({ $0 }) == nil, Date() < deadline { usleep(1000) }
        return try #require(result.withLock { $0 })
    }

    @Test func aThreadCanBeMadeNicerWithoutTouchingTheOthers() throws {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        let main = try #require(CurrentThread.id())
        let before = getpriority(which, main)
        let (lowered, thread, nice) = try onNewThread { () -> (Bool, id_t?, Int32) in
            let lowered = CurrentThread.lowerPriority(by: 5)
            let thread = CurrentThread.id()
            return (lowered, thread, thread.map { getpriority(which, $0) } ?? -100)
        }
        #expect(lowered)
        #expect(thread != nil && thread != main)
        #expect(nice == min(before + 5, 19))
        #expect(getpriority(which, main) == before)
    }

    @Test func threadNamesReachTheKernelCutTo15Bytes() throws {
        let (named, cut) = try onNewThread { () -> (String?, String?) in
            let thread = CurrentThread.id()!
            CurrentThread.setName("taskfcgi-jobs")
            let named = try? String(contentsOfFile: "/proc/self/task/\(thread)/comm", encoding: .utf8)
            CurrentThread.setName("a-name-longer-than-fifteen-bytes")
            let cut = try? String(contentsOfFile: "/proc/self/task/\(thread)/comm", encoding: .utf8)
            return (named, cut)
        }
        #expect(named == "taskfcgi-jobs\n")
        #expect(cut == "a-name-longer-t\n")
    }
}
