#pragma once
/// What Loom asks of the operating system beyond standard C++: processes, memory, terminals,
/// stop signals and durable writes. Every call that is not standard C++ (POSIX, /proc, and
/// one day Windows or macOS APIs) lives in engine/core/Platform.cpp, so that porting Loom
/// means porting that one file; the engine, the widgets and the application call these.

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>

namespace loom {

/// A process id as the operating system numbers processes.
using ProcessId = std::int64_t;

/// This process's id.
ProcessId currentProcessId();

/// Whether a process with this id may be running: false only when the system says that no
/// process has it. A process of another user, or any other answer, counts as alive, so that a
/// caller deciding whether a file is abandoned errs on the side of keeping it.
bool processIsAlive(ProcessId process);

/// The machine's physical memory in bytes; 0 where it cannot be told.
std::uint64_t physicalMemoryBytes();

/// Physical memory no one uses, in bytes (caches the system would drop count as used); 0 where
/// it cannot be told.
std::uint64_t freePhysicalMemoryBytes();

/// Memory a program can have without the system swapping, caches it would drop included
/// (Linux's MemAvailable), in bytes; 0 where it cannot be told.
std::uint64_t availableMemoryBytes();

/// This process's resident memory in bytes; 0 where it cannot be told.
std::uint64_t residentMemoryBytes();

/// `time` as a UTC calendar date and time (thread-safe, unlike std::gmtime).
std::tm utcCalendarTime(std::time_t time);

/// Whether `stream` writes to a terminal (which then understands "\r\033[K"), not to a file
/// or a pipe.
bool isTerminal(std::FILE* stream);

/// While one lives, the requests to end the process that a person or the system makes (Ctrl-C
/// and, where they exist, SIGTERM and SIGHUP: kill's default, a closed terminal or ssh
/// session) no longer end it but are recorded for the program to act on; the previous
/// handlers come back when it goes. One at a time.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    /// The signal that asked to stop since the last one was made, 0 while none has; it stays
    /// readable after that one has gone.
    static int received();

    /// The exit status a shell gives a process that `signal` ended (128 + its number); Ctrl-C's
    /// for 0.
    static int exitStatusFor(int signal);
};

/// Creates `path` as a new empty file, failing when it exists (no other process can have
/// created it in between). The error is the system's, e.g. "Permission denied".
std::error_code createNewFile(const std::filesystem::path& path);

/// Asks the system to write `path`'s contents to the disk before returning, so that a rename
/// that follows never leaves a file whose data were lost with the power. Failures are ignored:
/// the data are then as safe as the system keeps them.
void syncFileToDisk(const std::filesystem::path& path);

/// As syncFileToDisk, for a folder's entries: makes a rename within it durable.
void syncFolderToDisk(const std::filesystem::path& folder);

}  // namespace loom
