// Every operating-system call of the engine, the widgets and the application that standard C++
// lacks (see Platform.h). Loom is built and tested on Linux (Debian 12) only. Where a Windows
// or macOS branch is cheap and plainly right it is here, untested; elsewhere a comment says what
// a port needs, and the POSIX code stands where it would not compile.

#include <loom/Platform.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <sys/stat.h>
#else
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#endif

namespace loom {

namespace {

#if !defined(_WIN32)
/// The size of a memory page; 0 where it cannot be told.
std::uint64_t pageBytes() {
    const long size = ::sysconf(_SC_PAGE_SIZE);
    return size > 0 ? static_cast<std::uint64_t>(size) : 0;
}

/// Opens `path` (a file or a folder) for reading and fsyncs it; failures are ignored.
void syncToDisk(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
        // macOS: fsync reaches the drive's cache only; fcntl(fd, F_FULLFSYNC) reaches the disk.
        ::fsync(fd);
        ::close(fd);
    }
}
#endif

volatile std::sig_atomic_t g_stopSignal = 0;

void onStopSignal(int signal) {
    g_stopSignal = signal;
}

// Ctrl-C, kill's default, a closed terminal or ssh session. kill -9 cannot be caught. Windows
// has no SIGHUP; a console closing there is reported through SetConsoleCtrlHandler instead.
constexpr int kStopSignals[] = {SIGINT, SIGTERM,
#ifdef SIGHUP
                                SIGHUP
#endif
};

using SignalHandler = void (*)(int);
SignalHandler g_previousHandlers[std::size(kStopSignals)] = {};

}  // namespace

ProcessId currentProcessId() {
#if defined(_WIN32)
    return static_cast<ProcessId>(::_getpid());
#else
    return static_cast<ProcessId>(::getpid());
#endif
}

bool processIsAlive(ProcessId process) {
    // Windows needs OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION) and GetExitCodeProcess (not
    // STILL_ACTIVE: ended; OpenProcess failing with ERROR_INVALID_PARAMETER: no such process).
    // Signal 0 checks that the process exists without sending anything; EPERM means that it
    // exists and belongs to someone else.
    return !(::kill(static_cast<pid_t>(process), 0) != 0 && errno == ESRCH);
}

std::uint64_t physicalMemoryBytes() {
    // Windows needs GlobalMemoryStatusEx's ullTotalPhys.
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    return pages > 0 ? static_cast<std::uint64_t>(pages) * pageBytes() : 0;
}

std::uint64_t freePhysicalMemoryBytes() {
    // Windows needs GlobalMemoryStatusEx's ullAvailPhys; macOS (which lacks _SC_AVPHYS_PAGES)
    // host_statistics64's free_count.
#ifdef _SC_AVPHYS_PAGES
    const long pages = ::sysconf(_SC_AVPHYS_PAGES);
    return pages > 0 ? static_cast<std::uint64_t>(pages) * pageBytes() : 0;
#else
    return 0;
#endif
}

std::uint64_t availableMemoryBytes() {
    // Linux's /proc/meminfo; elsewhere the file is missing and the answer 0. Windows needs
    // GlobalMemoryStatusEx's ullAvailPhys, macOS host_statistics64's free, inactive and
    // purgeable pages.
    std::ifstream meminfo("/proc/meminfo");
    std::string line;
    while (std::getline(meminfo, line)) {
        std::istringstream fields(line);
        std::string key;
        std::uint64_t kibibytes = 0;
        if (fields >> key >> kibibytes && key == "MemAvailable:") {
            return kibibytes * 1024;
        }
    }
    return 0;
}

std::uint64_t residentMemoryBytes() {
    // Linux's /proc/self/statm: its second field, in pages; elsewhere the file is missing and
    // the answer 0. Windows needs GetProcessMemoryInfo's WorkingSetSize, macOS task_info's
    // MACH_TASK_BASIC_INFO resident_size.
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) {
        return 0;
    }
    return resident * pageBytes();
}

std::tm utcCalendarTime(std::time_t time) {
    std::tm utc{};
#if defined(_WIN32)
    ::gmtime_s(&utc, &time);
#else
    ::gmtime_r(&time, &utc);
#endif
    return utc;
}

bool isTerminal(std::FILE* stream) {
#if defined(_WIN32)
    return ::_isatty(::_fileno(stream)) != 0;
#else
    return ::isatty(::fileno(stream)) != 0;
#endif
}

StopSignals::StopSignals() {
    g_stopSignal = 0;
    for (std::size_t i = 0; i < std::size(kStopSignals); ++i) {
        g_previousHandlers[i] = std::signal(kStopSignals[i], onStopSignal);
    }
}

StopSignals::~StopSignals() {
    for (std::size_t i = 0; i < std::size(kStopSignals); ++i) {
        std::signal(kStopSignals[i], g_previousHandlers[i]);
    }
}

int StopSignals::received() {
    return static_cast<int>(g_stopSignal);
}

int StopSignals::exitStatusFor(int signal) {
    return 128 + (signal != 0 ? signal : SIGINT);
}

std::error_code createNewFile(const std::filesystem::path& path) {
#if defined(_WIN32)
    const int fd = ::_wopen(path.c_str(), _O_WRONLY | _O_CREAT | _O_EXCL, _S_IREAD | _S_IWRITE);
    if (fd < 0) {
        return {errno, std::generic_category()};
    }
    ::_close(fd);
#else
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        return {errno, std::generic_category()};
    }
    ::close(fd);
#endif
    return {};
}

void syncFileToDisk(const std::filesystem::path& path) {
    // Windows needs FlushFileBuffers on a handle opened with GENERIC_WRITE.
    syncToDisk(path);
}

void syncFolderToDisk(const std::filesystem::path& folder) {
    // Windows has no such call: a port renames with MoveFileEx(MOVEFILE_WRITE_THROUGH) instead.
    syncToDisk(folder);
}

}  // namespace loom
