# The guest side of `make demo`: each command is shown, then run.
show() { echo "guest# $*"; sh -c "$*"; }
show 'uname -sr'
show 'insmod /toolkit/mydevice.ko'
show 'ls -l /dev/mydevice'
show 'cat /dev/mydevice'
show 'rmmod mydevice'
show 'dmesg | grep mydevice:'
