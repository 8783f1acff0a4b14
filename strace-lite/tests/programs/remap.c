/* Mappings that change under -k: a library unloaded and another loaded, probably at the
   same address, then a third file renamed over the first one's path and loaded from it.
   Each calls getpid from a function named after it (remap/lib.c), so a stale maps or file
   cache in the unwinder prints the wrong library or symbol. Argument: the libraries' folder. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>

static void call(const char *dir, const char *file) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    void *lib = dlopen(path, RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "%s\n", dlerror());
        return;
    }
    long (*entry)(void) = (long (*)(void))dlsym(lib, "entry");
    entry();
    dlclose(lib);
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char from[PATH_MAX], to[PATH_MAX];
    call(argv[1], "libone.so");
    call(argv[1], "libtwo.so");
    snprintf(from, sizeof from, "%s/libthree.so", argv[1]);
    snprintf(to, sizeof to, "%s/libone.so", argv[1]);
    if (rename(from, to) != 0)
        return 3;
    call(argv[1], "libone.so");
    return 0;
}
