/* qspnctl_test_main.c - the client half of qspnctl, for the netns test. */
#include "client.h"

int main(int argc, char **argv)
{
    return qspnctl_client_main(argc, argv);
}
