#include "cli/Workers.h"

#include <loom/Backend.h>
#include <loom/Error.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace loom::cli {

namespace {

// argv without --workers and its value, then this worker's place in the job.
std::vector<std::string> workerArguments(int argc, char** argv, int rank, int workers,
                                         const std::string& folder, int threads) {
    std::vector<std::string> out;
    for (int i = 0; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--workers" || arg == "--threads") {
            ++i;  // and its value
        } else if (arg.rfind("--workers=", 0) != 0 && arg.rfind("--threads=", 0) != 0) {
            out.push_back(arg);
        }
    }
    for (const std::string& extra :
         {std::string("--rank"), std::to_string(rank), std::string("--world-size"),
          std::to_string(workers), std::string("--rendezvous"), "file:" + folder,
          std::string("--host"), std::string("127.0.0.1"), std::string("--threads"),
          std::to_string(threads)}) {
        out.push_back(extra);
    }
    return out;
}

pid_t startWorker(const std::vector<std::string>& arguments, bool quiet) {
    std::vector<char*> argv;
    for (const std::string& a : arguments) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        if (quiet) {
            const int null = open("/dev/null", O_WRONLY);
            dup2(null, STDOUT_FILENO);
        }
        execv("/proc/self/exe", argv.data());
        std::perror("loom-cli: cannot start a worker");
        _exit(127);
    }
    if (pid < 0) {
        throw Error(std::string("cannot start a worker process: ") + std::strerror(errno));
    }
    return pid;
}

std::string howItEnded(int status) {
    if (WIFSIGNALED(status)) {
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    }
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int runWorkers(int argc, char** argv, int workers, const Arguments& args) {
    if (workers < 1) {
        throw ConfigError("--workers takes a number of processes, 1 or more");
    }
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads =
        static_cast<int>(args.integer("threads").value_or(std::max(1, cores / workers)));
    std::string folder = (std::filesystem::temp_directory_path() / "loom-job-XXXXXX").string();
    if (mkdtemp(folder.data()) == nullptr) {
        throw Error("cannot make a rendezvous folder in " +
                    std::filesystem::temp_directory_path().string());
    }
    std::printf("data-parallel training: %d worker processes of %d thread(s) each, meeting in %s\n",
                workers, threads, folder.c_str());
    std::fflush(stdout);
    // Ctrl-C reaches every worker (one process group); they stop together and rank 0 saves,
    // while this process waits to report how each ended.
    // Idle OpenMP threads otherwise spin for a while before they sleep, taking the cores
    // the other workers compute on (measured: an epoch of W2 on 2 cores 12.2 s, not 3.7 s).
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    std::vector<pid_t> pids;
    for (int rank = 0; rank < workers; ++rank) {
        pids.push_back(
            startWorker(workerArguments(argc, argv, rank, workers, folder, threads), rank > 0));
    }
    int result = 0;
    for (size_t ended = 0; ended < pids.size(); ++ended) {
        int status = 0;
        const pid_t pid = wait(&status);
        const auto rank = std::find(pids.begin(), pids.end(), pid) - pids.begin();
        const bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        if (failed) {
            std::fprintf(stderr, "loom-cli: worker %ld (rank %ld, pid %d) %s\n", rank, rank,
                         static_cast<int>(pid), howItEnded(status).c_str());
        }
        if (rank == 0 || (failed && result == 0)) {
            result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
    return result;
}

std::optional<JobPlace> jobPlaceOf(const Arguments& args) {
    std::optional<JobPlace> place = jobPlaceFromEnvironment();
    if (args.value("rank") || args.value("world-size")) {
        if (!args.value("rank") || !args.value("world-size")) {
            throw ConfigError("--rank and --world-size go together");
        }
        place = JobPlace{};
        place->rank = static_cast<int>(*args.integer("rank"));
        place->worldSize = static_cast<int>(*args.integer("world-size"));
    }
    if (!place) {
        if (args.value("rendezvous")) {
            throw ConfigError("--rendezvous needs --rank and --world-size (or mpirun or srun)");
        }
        return std::nullopt;
    }
    place->rendezvous = args.value("rendezvous", place->rendezvous);
    if (place->rendezvous.empty()) {
        throw ConfigError(
            "a data-parallel job needs --rendezvous file:FOLDER or redis:HOST:PORT (or "
            "LOOM_RENDEZVOUS)");
    }
    place->host = args.value("host", "");
    if (auto seconds = args.number("collective-timeout")) {
        place->timeout = std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000));
    }
    return place;
}

}  // namespace loom::cli
