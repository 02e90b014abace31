/*
 * float.c - floating point workout: n-body simulation (the classic benchmark
 * game kernel, sqrt only), a Mandelbrot set rendered as ASCII, numeric
 * integration and float<->int conversions.  Only +,-,*,/ and sqrt are used
 * in printed results (all correctly rounded in IEEE 754), so native and wasm
 * output must match bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24

struct body { double x, y, z, vx, vy, vz, mass; };

static struct body bodies[5] = {
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
     -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static void offset_momentum(void) {
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < 5; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(void) {
    double e = 0;
    for (int i = 0; i < 5; i++) {
        struct body *b = &bodies[i];
        e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < 5; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            e -= (b->mass * c->mass) / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt) {
    for (int i = 0; i < 5; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < 5; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            b->vx -= dx * c->mass * mag; b->vy -= dy * c->mass * mag; b->vz -= dz * c->mass * mag;
            c->vx += dx * b->mass * mag; c->vy += dy * b->mass * mag; c->vz += dz * b->mass * mag;
        }
    }
    for (int i = 0; i < 5; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static uint64_t bits_of(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }

static void mandelbrot(void) {
    const char *shades = " .:-=+*#%@";
    uint32_t total = 0;
    for (int row = 0; row < 24; row++) {
        double ci = 1.2 - row * (2.4 / 23);
        char line[72];
        for (int col = 0; col < 70; col++) {
            double cr = -2.1 + col * (3.0 / 69);
            double zr = 0, zi = 0;
            int it = 0;
            while (it < 200 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                it++;
            }
            total += (uint32_t)it;
            line[col] = it >= 200 ? '@' : shades[it % 9];
        }
        line[70] = 0;
        printf("|%s|\n", line);
    }
    printf("mandelbrot iterations: %u\n", (unsigned)total);
}

int main(void) {
    offset_momentum();
    printf("nbody energy before: %.9f\n", energy());
    for (int i = 0; i < 100000; i++) advance(0.01);
    double e = energy();
    printf("nbody energy after:  %.9f (bits %016llx)\n", e, (unsigned long long)bits_of(e));

    mandelbrot();

    /* trapezoid integration of 4/(1+x^2) over [0,1] = pi */
    int n = 1000000;
    double h = 1.0 / n, s = 0.5 * (4.0 + 2.0);
    for (int i = 1; i < n; i++) { double x = i * h; s += 4.0 / (1.0 + x * x); }
    printf("pi ~ %.12f\n", s * h);

    /* float (f32) arithmetic and conversions */
    float f = 1.0f;
    for (int i = 0; i < 30; i++) f = f * 1.37f + 0.25f / f;
    uint32_t fb;
    memcpy(&fb, &f, sizeof fb);
    printf("f32 %.6e %08x\n", (double)f, (unsigned)fb);
    double vals[] = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1e10, -1e10, 123456.789};
    for (int i = 0; i < 9; i++) {
        double v = vals[i];
        printf("  %.3f: trunc=%lld floor=%.1f ceil=%.1f rint=%.1f sqrt|v|=%.9f u32=%u\n", v,
               (long long)v, floor(v), ceil(v), rint(v), sqrt(fabs(v)),
               (unsigned)(v >= 0 && v < 4294967296.0 ? (uint32_t)v : 0));
    }
    printf("min/max: %g %g copysign=%g\n", fmin(-1.0, 2.0), fmax(3.5, -7.25), copysign(2.0, -0.0));
    return 0;
}
