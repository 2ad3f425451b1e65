/*
 * corral-exec: apply rlimits, identity, capabilities and LSM labels, then exec, in ONE exec.
 *
 * It replaces corral's util-linux chain `prlimit ... -- setpriv ... -- BINARY`: every exec
 * of a dynamically linked tool costs about a whole spawn, so one small static program
 * is the cheap way to do both jobs. The steps run in the chain's order (prlimit first,
 * then setpriv's sequence from util-linux sys-utils/setpriv.c):
 *
 *   rlimits -> LSM labels -> keep caps, setresuid, caps back -> setresgid -> groups
 *           -> bounding set -> inheritable set -> ambient set -> execve
 *
 * Usage: corral-exec [--rlimit nofile|nproc|memlock|core=N]... [--selinux-label L]
 *        [--apparmor-profile P] [--uid U] [--gid G] [--groups clear|G1,G2,...]
 *        [--caps HEXMASK [--ambient]] -- BINARY [ARG...]
 *
 * Supplementary groups come as numbers, resolved by the parent: initgroups() would need
 * glibc's NSS modules, which a static binary cannot load safely on another glibc.
 * Exit statuses follow libvirt: 125 when a step failed before exec, 126 when BINARY
 * cannot be executed, 127 when it does not exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { EXIT_CANCELED = 125, EXIT_CANNOT_INVOKE = 126, EXIT_ENOENT = 127 };

extern char **environ;

struct options {
    const char *selinux_label, *apparmor_profile, *groups, *uid_text, *gid_text;
    long long uid, gid;           /* -1: leave unchanged */
    int have_caps, ambient;
    uint64_t caps;                /* bit n set: capability n is allowed */
};

/* Say what failed and why (errno), then exit as "failed before exec". */
static void fail(const char *what, const char *culprit, int error)
{
    fprintf(stderr, "corral-exec: %s%s%s: %s\n", what, culprit ? " " : "",
            culprit ? culprit : "", strerror(error));
    exit(EXIT_CANCELED);
}

static unsigned long long number(const char *text, int base, const char *option)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, base);
    if (errno || end == text || *end || *text == '-') {
        char what[64];
        snprintf(what, sizeof what, "bad %s value", option);
        fail(what, text, errno ? errno : EINVAL);
    }
    return value;
}

/* --rlimit RES=VALUE: soft = hard = VALUE, as `prlimit --RES=VALUE:VALUE` sets it. */
static void set_rlimit(const char *spec)
{
    static const struct { const char *name; int resource; } known[] = {
        {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},
        {"memlock", RLIMIT_MEMLOCK}, {"core", RLIMIT_CORE},
    };
    const char *equals = strchr(spec, '=');
    for (size_t i = 0; equals && i < sizeof known / sizeof known[0]; i++) {
        if (strlen(known[i].name) != (size_t)(equals - spec) ||
            strncmp(spec, known[i].name, (size_t)(equals - spec)) != 0)
            continue;
        struct rlimit limit;
        limit.rlim_cur = limit.rlim_max = (rlim_t)number(equals + 1, 10, "--rlimit");
        if (setrlimit(known[i].resource, &limit) != 0)
            fail("cannot set resource limit", spec, errno);
        return;
    }
    fail("unknown resource limit", spec, EINVAL);
}

/* Write `text` to the first of `paths` that opens; the kernel applies it at exec. */
static void write_attr(const char *const paths[], const char *text, const char *what,
                       const char *culprit)
{
    int fd = -1;
    for (const char *const *path = paths; fd < 0 && *path; path++)
        fd = open(*path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        fail(what, paths[0], errno);
    size_t length = strlen(text);
    errno = 0;
    if (write(fd, text, length) != (ssize_t)length || close(fd) != 0)
        fail(what, culprit, errno ? errno : EIO);
}

static void set_labels(const struct options *o)
{
    static const char *const selinux[] = {"/proc/thread-self/attr/exec", NULL};
    static const char *const apparmor[] = {"/proc/thread-self/attr/apparmor/exec",
                                           "/proc/thread-self/attr/exec", NULL};
    if (o->selinux_label)
        write_attr(selinux, o->selinux_label, "cannot set SELinux exec label", o->selinux_label);
    if (o->apparmor_profile) {
        char text[4096];
        if (snprintf(text, sizeof text, "exec %s", o->apparmor_profile) >= (int)sizeof text)
            fail("AppArmor profile too long:", o->apparmor_profile, ENAMETOOLONG);
        write_attr(apparmor, text, "cannot set AppArmor exec profile", o->apparmor_profile);
    }
}

/* The kernel's capability sets, read and written whole (no libcap: static and tiny). */
struct capsets { struct __user_cap_header_struct head; struct __user_cap_data_struct data[2]; };

static void caps_get(struct capsets *c)
{
    c->head.version = _LINUX_CAPABILITY_VERSION_3;
    c->head.pid = 0;
    if (syscall(SYS_capget, &c->head, c->data) != 0)
        fail("cannot read capabilities", NULL, errno);
}

static void caps_set(struct capsets *c, const char *why)
{
    if (syscall(SYS_capset, &c->head, c->data) != 0)
        fail(why, NULL, errno);
}

static int cap_last(void)
{
    int last = CAP_LAST_CAP;  /* the headers' guess; the running kernel may know more */
    FILE *file = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (file) {
        if (fscanf(file, "%d", &last) != 1 || last < 0 || last > 63)
            last = CAP_LAST_CAP;
        fclose(file);
    }
    return last;
}

/* setpriv's identity sequence: with KEEPCAPS, setresuid keeps the permitted set but
 * clears the effective one, so the saved sets are put back before setgid/setgroups. */
static void set_identity(const struct options *o, struct capsets *saved)
{
    static const int bumped[] = {CAP_SETPCAP, CAP_SETUID, CAP_SETGID};
    caps_get(saved);
    for (size_t i = 0; i < 3; i++)  /* what the next steps need, if we may have it */
        saved->data[0].effective |= saved->data[0].permitted & (1u << bumped[i]);
    caps_set(saved, "cannot activate capabilities");
    if (o->uid >= 0) {
        if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0)
            fail("cannot keep capabilities across the uid change", NULL, errno);
        if (setresuid((uid_t)o->uid, (uid_t)o->uid, (uid_t)o->uid) != 0)
            fail("cannot set uid", o->uid_text, errno);
        caps_set(saved, "cannot reactivate capabilities");
    }
    if (o->gid >= 0 && setresgid((gid_t)o->gid, (gid_t)o->gid, (gid_t)o->gid) != 0)
        fail("cannot set gid", o->gid_text, errno);
}

static void set_groups(const char *list)
{
    gid_t none = 0, *groups = &none;
    size_t count = 0;
    if (strcmp(list, "clear") != 0) {
        count = 1;
        for (const char *c = list; *c; c++)
            count += *c == ',';
        if (!(groups = calloc(count, sizeof *groups)))
            fail("cannot list groups", list, errno);
        char *copy = strdup(list), *item, *rest = copy;
        if (!copy)
            fail("cannot list groups", list, errno);
        for (size_t i = 0; (item = strsep(&rest, ",")); i++)
            groups[i] = (gid_t)number(item, 10, "--groups");
    }
    if (setgroups(count, groups) != 0)
        fail("cannot set supplementary groups", list, errno);
}

/* libcap-ng's "-all,+allowed" on the bounding, inheritable and (opt.) ambient sets. */
static void set_caps(const struct options *o, struct capsets *c)
{
    int last = cap_last();
    for (int cap = 0; cap <= last; cap++) {
        if ((o->caps >> cap) & 1 || prctl(PR_CAPBSET_READ, (long)cap, 0L, 0L, 0L) != 1)
            continue;  /* allowed, or already gone */
        if (prctl(PR_CAPBSET_DROP, (long)cap, 0L, 0L, 0L) != 0)
            fail("cannot drop a capability from the bounding set", NULL, errno);
    }
    caps_get(c);  /* effective and permitted stay as they are; the exec recomputes them */
    c->data[0].inheritable = (uint32_t)o->caps;
    c->data[1].inheritable = (uint32_t)(o->caps >> 32);
    caps_set(c, "cannot set the inheritable capabilities");
    if (!o->ambient)
        return;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) != 0)
        fail("cannot clear the ambient capabilities", NULL, errno);
    for (int cap = 0; cap <= last; cap++)  /* so they survive exec under a non-root uid */
        if ((o->caps >> cap) & 1 &&
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (long)cap, 0L, 0L) != 0)
            fail("cannot raise an ambient capability", NULL, errno);
}

static int parse(int argc, char **argv, struct options *o)
{
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *opt = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--ambient") == 0) {
            o->ambient = 1;
            continue;
        }
        if (!value)
            fail("missing value for", opt, EINVAL);
        i++;
        if (strcmp(opt, "--rlimit") == 0) set_rlimit(value);  /* prlimit ran first */
        else if (strcmp(opt, "--uid") == 0) o->uid = (uid_t)number(o->uid_text = value, 10, opt);
        else if (strcmp(opt, "--gid") == 0) o->gid = (gid_t)number(o->gid_text = value, 10, opt);
        else if (strcmp(opt, "--groups") == 0) o->groups = value;
        else if (strcmp(opt, "--caps") == 0) o->have_caps = 1, o->caps = number(value, 16, opt);
        else if (strcmp(opt, "--selinux-label") == 0) o->selinux_label = value;
        else if (strcmp(opt, "--apparmor-profile") == 0) o->apparmor_profile = value;
        else fail("unknown option", opt, EINVAL);
    }
    if (i + 1 >= argc)
        fail("no program after", "--", EINVAL);
    return i + 1;
}

int main(int argc, char **argv)
{
    struct options o = {.uid = -1, .gid = -1};
    struct capsets caps;
    int program = parse(argc, argv, &o);  /* applies the rlimits as it meets them */
    set_labels(&o);
    if (o.uid >= 0 || o.gid >= 0)
        set_identity(&o, &caps);
    if (o.groups)
        set_groups(o.groups);
    if (o.have_caps)
        set_caps(&o, &caps);
    execve(argv[program], &argv[program], environ);
    int error = errno;
    fprintf(stderr, "corral-exec: cannot execute %s: %s\n", argv[program], strerror(error));
    return error == ENOENT ? EXIT_ENOENT : EXIT_CANNOT_INVOKE;
}
