import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

@Suite struct CurrentThreadTests {
    @Test func threadNamesReachTheKernelCutTo15Bytes() throws {
        let names = Mutex<(String, String)?>(nil)
        Thread {
            CurrentThread.setName("taskfcgi-jobs")
            let named = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            CurrentThread.setName("a-name-longer-than-fifteen-bytes")
            let cut = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            names.withLock { $0 = (named, cut) }
        }.start()
        let deadline = Date().addingTimeInterval(5)
        while names.withLock({ $0 }) == nil, Date() < deadline { usleep(1000) }
        let seen = try #require(names.withLock { $0 })
        #expect(seen.0 == "taskfcgi-jobs\n")
        #expect(seen.1 == "a-name-longer-t\n")
    }
}
