"""One application on port 8009 playing the outside systems: ESIA at its root, VK ID under
/vkid/, Сферум rooms under /sferum/, and /demo/people."""
