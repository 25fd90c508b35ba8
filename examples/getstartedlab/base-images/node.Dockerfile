# The offline Node.js base image: a Debian rootfs made by mmdebstrap (see base-images.sh).
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
CMD ["node"]
