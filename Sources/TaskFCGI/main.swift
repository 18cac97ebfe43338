import Foundation
import TaskFCGIKit

exit(Worker.main(CommandLine.arguments))
