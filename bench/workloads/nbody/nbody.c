/* nbody: the Computer Language Benchmarks Game n-body simulation (Jovian
 * planets, symplectic integrator) for N*1000 steps (default N=8000; smoke: 1).
 * Checks: for N=1 the energies before/after equal the published values
 * (-0.169075164, -0.169087605); for any N the energy drift stays below 1e-4
 * and the momentum stays zero.  Prints "ok <energy after, 9 decimals>". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24

struct planet { double x, y, z, vx, vy, vz, mass; };

static void advance(int nb, struct planet *b, double dt) {
    for (int i = 0; i < nb; i++) {
        struct planet *p = &b[i];
        for (int j = i + 1; j < nb; j++) {
            struct planet *q = &b[j];
            double dx = p->x - q->x, dy = p->y - q->y, dz = p->z - q->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            p->vx -= dx * q->mass * mag; p->vy -= dy * q->mass * mag; p->vz -= dz * q->mass * mag;
            q->vx += dx * p->mass * mag; q->vy += dy * p->mass * mag; q->vz += dz * p->mass * mag;
        }
    }
    for (int i = 0; i < nb; i++) { b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz; }
}

static double energy(int nb, const struct planet *b) {
    double e = 0;
    for (int i = 0; i < nb; i++) {
        const struct planet *p = &b[i];
        e += 0.5 * p->mass * (p->vx * p->vx + p->vy * p->vy + p->vz * p->vz);
        for (int j = i + 1; j < nb; j++) {
            const struct planet *q = &b[j];
            double dx = p->x - q->x, dy = p->y - q->y, dz = p->z - q->z;
            e -= p->mass * q->mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void offset_momentum(int nb, struct planet *b) {
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < nb; i++) { px += b[i].vx * b[i].mass; py += b[i].vy * b[i].mass; pz += b[i].vz * b[i].mass; }
    b[0].vx = -px / SOLAR_MASS; b[0].vy = -py / SOLAR_MASS; b[0].vz = -pz / SOLAR_MASS;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 8000;
    if (n < 1) n = 1;
    struct planet b[5] = {
        {0, 0, 0, 0, 0, 0, SOLAR_MASS},
        {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
         -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
        {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
         2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
        {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
         -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
        {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
         -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS}};
    offset_momentum(5, b);
    double e0 = energy(5, b);
    long steps = n * 1000;
    for (long i = 0; i < steps; i++) advance(5, b, 0.01);
    double e1 = energy(5, b);
    char s0[32], s1[32];
    snprintf(s0, sizeof s0, "%.9f", e0);
    snprintf(s1, sizeof s1, "%.9f", e1);
    if (strcmp(s0, "-0.169075164")) { printf("FAIL initial energy %s\n", s0); return 1; }
    if (n == 1 && strcmp(s1, "-0.169087605")) { printf("FAIL energy after 1000 steps %s\n", s1); return 1; }
    if (fabs(e1 - e0) > 1e-4) { printf("FAIL energy drift %g\n", e1 - e0); return 1; }
    double px = 0;
    for (int i = 0; i < 5; i++) px += b[i].vx * b[i].mass;
    if (fabs(px) > 1e-12) { printf("FAIL momentum %g\n", px); return 1; }
    printf("ok %s\n", s1);
    return 0;
}
