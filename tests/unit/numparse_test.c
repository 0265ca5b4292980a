/* Unit tests of src/common/numparse.c. */
#include "numparse.h"
#include "test.h"

int
main(void)
{
	long long v = -7;
	double d = -1;

	CHECK(parse_long("64", 1, 64, &v) == 0 && v == 64, "upper bound");
	CHECK(parse_long("65", 1, 64, &v) != 0, "above the bound");
	CHECK(parse_long("0", 1, 64, &v) != 0, "below the bound");
	CHECK(parse_long("12x", 0, 100, &v) != 0, "trailing garbage");
	CHECK(parse_long("", 0, 100, &v) != 0, "empty");
	CHECK(parse_long("99999999999999999999", 0, 100, &v) != 0, "overflow");
	CHECK(parse_duration("10", &d) == 0 && d == 10, "bare seconds");
	CHECK(parse_duration("250ms", &d) == 0 && d == 0.25, "milliseconds");
	CHECK(parse_duration("1.5m", &d) == 0 && d == 90, "fractional minutes");
	CHECK(parse_duration("6h", &d) == 0 && d == 21600, "hours");
	CHECK(parse_duration("90d", &d) == 0 && d == 90 * 86400, "days");
	CHECK(parse_duration("2w", &d) == 0 && d == 14 * 86400, "weeks");
	CHECK(parse_duration("-1s", &d) != 0, "negative");
	CHECK(parse_duration("5 s", &d) != 0, "space before unit");
	CHECK(parse_duration("inf", &d) != 0, "infinite");
	CHECK(parse_duration("3y", &d) != 0, "unknown unit");
	return test_status();
}
