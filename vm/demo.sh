# The guest side of `make demo`: each command is shown, then run.
show() { echo; echo "guest# $*"; sh -c "$*"; }
show 'uname -sr'
show 'insmod /toolkit/mydevice.ko && chmod 0666 /dev/mydevice   # chmod: what kmod/99-mydevice.rules does'
show 'cat /dev/mydevice'
echo; echo "(two test writers stand in for the servers: each registers a row and keeps it open)"
show 'mydevice-ctl push --name web 3 120 4711 380211 90211733 2 --hold 60 & mydevice-ctl push --name chat 12 40 9120 583680 6420000 0 --hold 60 & sleep 1'
show 'cat /dev/mydevice'
show 'mydevice-ctl snapshot   # the same figures through MYDEVICE_IOC_SNAPSHOT'
show 'printf "v=1\nname=bad name\n" | dd of=/dev/mydevice 2>&1 | head -n 1   # a malformed record is refused'
show 'killall -9 mydevice-ctl; sleep 0.2; cat /dev/mydevice   # killed writers lose their rows'
show 'rmmod mydevice'
show 'dmesg | grep mydevice: | grep -v taints'
