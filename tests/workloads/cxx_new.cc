// SPDX-License-Identifier: MIT
/* C++ allocations through libstdc++'s operator new: charged to the
 * new-expression's line. */
#include <string>
#include <vector>

extern "C" {
#include "workload.h"
}

struct Order {
	long id;
	double amount[6];
};

static Order *one;
static Order *many;
static std::vector<int> *vec;
/* never destroyed: its buffer stays live at exit, as in -c mode */
static std::vector<long> &grown = *new std::vector<long>;

static void allocate()
{
	one = new Order();		 /* @new_one */
	many = new Order[10];		 /* @new_array */
	vec = new std::vector<int>(100); /* @new_vector */
	for (long i = 0; i < 1000; i++)
		grown.push_back(i); /* @push_back */
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	allocate();
	wl_end();
	return 0;
}
