node client.js --servers http://127.0.0.1:40091,http://127.0.0.1:40115,http://127.0.0.1:33443 --spectators 3000 --repeats 20
