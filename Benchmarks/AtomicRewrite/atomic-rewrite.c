/*
 * atomic-rewrite.c - the file-system work of fixing every file of a folder, without any YAML.
 *
 * For each regular file directly in DIR: read it, write its bytes plus one line break to a
 * temporary file beside it, rename that over the original; then flush the file system once
 * (syncfs) and the folder. This is what an atomic in-place fixer must do when every file
 * changes (kubeharden fix DIR does the same steps, on all cores), so its time is the floor of
 * `fix DIR` on that file system. Used by Scripts/bench.sh; not part of the Swift package.
 *
 *   gcc -O2 -o atomic-rewrite atomic-rewrite.c
 *   ./atomic-rewrite DIR      -> prints "files=N seconds=S"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        perror(argv[1]);
        return 2;
    }
    static char buffer[1 << 22];
    char path[4096], temporary[4096];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long files = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        if (entry->d_type != DT_REG || entry->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", argv[1], entry->d_name);
        snprintf(temporary, sizeof temporary, "%s/.%s.rewrite", argv[1], entry->d_name);
        int in = open(path, O_RDONLY);
        if (in < 0) { perror(path); return 1; }
        struct stat info;
        fstat(in, &info);
        ssize_t size = read(in, buffer, sizeof buffer - 1);
        close(in);
        if (size < 0) { perror(path); return 1; }
        buffer[size] = '\n';
        int out = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, info.st_mode & 07777);
        if (out < 0 || write(out, buffer, (size_t)size + 1) != size + 1) { perror(temporary); return 1; }
        close(out);
        if (rename(temporary, path) != 0) { perror(path); return 1; }
        files++;
    }
    closedir(dir);
    int folder = open(argv[1], O_RDONLY | O_DIRECTORY);
    syncfs(folder);
    fsync(folder);
    close(folder);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("files=%ld seconds=%.4f\n", files, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
