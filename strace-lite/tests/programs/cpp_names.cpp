// -k on C++: frames in our own namespaced, templated code and in libstdc++ (std::endl
// flushes through std::ostream), whose names strace prints demangled.
#include <unistd.h>
#include <iostream>
#include <string>
#include <vector>

namespace demo {
struct Widget {
    std::vector<std::string> lines;
    __attribute__((noinline)) void poke(const std::string& s) { (void)!write(1, s.data(), s.size()); }
    __attribute__((noinline)) void flush_all() {
        for (const auto& l : lines) std::cout << l << std::endl;
    }
};
}  // namespace demo

template <typename T>
__attribute__((noinline)) void call_it(T& w) {
    w.poke("direct\n");
    w.flush_all();
}

int main() {
    demo::Widget w;
    w.lines = {"through libstdc++"};
    call_it(w);
    return 0;
}
